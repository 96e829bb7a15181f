package emulatorfake

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routes lists the emulator's whole HTTP surface: the fulfillment API
// (src/subscription-api.ts, src/operations-api.ts), the control routes
// (src/utility-apis.ts) and the marketplace events (src/webhook-api.ts).
// There is no metering API; every other path gets Express's 404 page.
func (e *Emulator) routes() http.Handler {
	r := mux.NewRouter()
	get := []string{http.MethodGet, http.MethodHead} // Express's get() answers HEAD too
	handle := func(path string, f func(*http.Request) *reply, methods ...string) {
		r.Handle(path, e.answer(f)).Methods(methods...)
	}

	const saas = "/api/saas/subscriptions"
	handle(saas+"/resolve", e.resolve, http.MethodPost)
	handle(saas, e.listSubscriptions, get...)
	handle(saas+"/{subscriptionId}", e.getSubscription, get...)
	handle(saas+"/{subscriptionId}", e.updateSubscription, http.MethodPatch)
	handle(saas+"/{subscriptionId}", e.deleteSubscription, http.MethodDelete)
	handle(saas+"/{subscriptionId}/activate", e.activate, http.MethodPost)
	handle(saas+"/{subscriptionId}/listAvailablePlans", e.listAvailablePlans, get...)
	handle(saas+"/{subscriptionId}/operations", e.listOperations, get...)
	handle(saas+"/{subscriptionId}/operations/{operationId}", e.getOperation, get...)
	handle(saas+"/{subscriptionId}/operations/{operationId}", e.updateOperation, http.MethodPatch)

	const util = "/api/util"
	handle(util+"/subscription", e.sampleSubscription, get...)
	handle(util+"/offer", e.sampleOffer, get...)
	handle(util+"/offers", e.listOffers, get...)
	handle(util+"/offers", e.upsertOffer, http.MethodPost)
	handle(util+"/offers/{offerId}", e.getOffer, get...)
	handle(util+"/offers/{offerId}", e.deleteOffer, http.MethodDelete)
	handle(util+"/publishers", e.listPublishers, get...)
	handle(util+"/publishers/{publisherId}/subscriptions/{subscriptionId}", e.getStoredSubscription, get...)
	handle(util+"/publishers/{publisherId}/subscriptions/{subscriptionId}", e.deleteStoredSubscription, http.MethodDelete)
	handle(util+"/config", e.getConfig, get...)
	handle(util+"/config", e.patchConfig, http.MethodPatch)
	handle(util+"/data-file", e.resetData, http.MethodDelete)

	const events = "/api/webhook/subscription/{subscriptionId}"
	handle(events, e.changeEvent, http.MethodPatch)
	for _, action := range []string{"Suspend", "Reinstate", "Renew", "Unsubscribe"} {
		handle(events+"/"+strings.ToLower(action), e.lifecycleEvent(action), http.MethodPost)
	}

	unknown := e.answer(cannotRoute)
	r.NotFoundHandler, r.MethodNotAllowedHandler = unknown, unknown
	return withRequestIDs(withoutTrailingSlash(e.withFulfillmentChecks(r)))
}

// answer adapts a handler's reply to the ResponseWriter. A request the
// emulator never answers waits for the client to give up (or for Close);
// then, like a crash, the connection is dropped rather than answered.
func (e *Emulator) answer(f func(*http.Request) *reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := f(r)
		switch rep.kind {
		case hangReply:
			select {
			case <-r.Context().Done():
			case <-e.ctx.Done():
			}
			panic(http.ErrAbortHandler)
		case crashReply:
			panic(http.ErrAbortHandler)
		}
		rep.write(w)
	})
}

// withoutTrailingSlash routes /x/ as /x, as Express's non-strict routing
// does; the request keeps its path.
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimSuffix(p, "/")
			r2.URL.RawPath = ""
			next.ServeHTTP(w, r2)
			return
		}
		next.ServeHTTP(w, r)
	})
}
