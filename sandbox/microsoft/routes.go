package microsoft

import (
	"net/http"

	"github.com/gorilla/mux"
)

// fulfillmentPrefix is the path every fulfillment API call starts with.
const fulfillmentPrefix = "/api/saas/"

// Routes registers the marketplace's whole surface on r: the SaaS
// Fulfillment API v2 a publisher calls (docs/microsoft.md §4), the token
// service when one is configured, the sample publisher, and the
// marketplace's part of the /_sandbox control API.
func (m *Marketplace) Routes(r *mux.Router) {
	r.Handle("/api/saas/subscriptions/resolve", m.api(m.resolve)).Methods(http.MethodPost)
	// Any other method on resolve is a 405 (Allow: POST), not a call on a
	// subscription named "resolve": mux would route a GET, PATCH or DELETE
	// to the {subscriptionId} routes below, and answer a 404 where the
	// method is what is wrong. A route that takes every method shadows the
	// later ones for its path, in the Allow header too (allowedMethods).
	r.Handle("/api/saas/subscriptions/resolve", http.HandlerFunc(m.resolveMethodNotAllowed))
	r.Handle("/api/saas/subscriptions", m.api(m.listSubscriptions)).Methods(http.MethodGet)
	r.Handle("/api/saas/subscriptions/{subscriptionId}", m.api(m.getSubscription)).Methods(http.MethodGet)
	r.Handle("/api/saas/subscriptions/{subscriptionId}", m.api(m.patchSubscription)).Methods(http.MethodPatch)
	r.Handle("/api/saas/subscriptions/{subscriptionId}", m.api(m.deleteSubscription)).Methods(http.MethodDelete)
	r.Handle("/api/saas/subscriptions/{subscriptionId}/activate", m.api(m.activate)).Methods(http.MethodPost)
	r.Handle("/api/saas/subscriptions/{subscriptionId}/listAvailablePlans", m.api(m.listAvailablePlans)).Methods(http.MethodGet)
	r.Handle("/api/saas/subscriptions/{subscriptionId}/operations", m.api(m.listOperations)).Methods(http.MethodGet)
	r.Handle("/api/saas/subscriptions/{subscriptionId}/operations/{operationId}", m.api(m.getOperation)).Methods(http.MethodGet)
	r.Handle("/api/saas/subscriptions/{subscriptionId}/operations/{operationId}", m.api(m.patchOperation)).Methods(http.MethodPatch)

	// The metering service (docs/microsoft.md §7).
	r.Handle("/api/usageEvent", m.api(m.postUsageEvent)).Methods(http.MethodPost)
	r.Handle("/api/batchUsageEvent", m.api(m.postBatchUsageEvent)).Methods(http.MethodPost)
	r.Handle("/api/usageEvents", m.api(m.listUsageEvents)).Methods(http.MethodGet)

	if m.opts.issuer != nil {
		m.opts.issuer.Routes(r)
	}

	// The sample publisher (fixtures' default webhook and landing-page URLs).
	r.HandleFunc("/_sandbox/microsoft/sample/webhook", m.sampleWebhook).Methods(http.MethodPost)
	r.HandleFunc("/_sandbox/microsoft/sample/landing", m.sampleLanding).Methods(http.MethodGet)

	// Control API: Microsoft's side of the marketplace, for tests and people.
	r.Handle("/_sandbox/microsoft/fixtures", m.control(m.listFixtures)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/publishers/{id}", m.control(m.patchPublisher)).Methods(http.MethodPatch)
	r.Handle("/_sandbox/microsoft/purchases", m.control(m.purchase)).Methods(http.MethodPost)
	r.Handle("/_sandbox/microsoft/subscriptions", m.control(m.listControlSubscriptions)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/subscriptions/{id}", m.control(m.getControlSubscription)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/subscriptions/{id}/events", m.control(m.event)).Methods(http.MethodPost)
	r.Handle("/_sandbox/microsoft/usage", m.control(m.listUsage)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/webhooks", m.control(m.listWebhooks)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/webhooks/pending", m.control(m.listHeldWebhooks)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/webhooks/rules", m.control(m.listWebhookRules)).Methods(http.MethodGet)
	r.Handle("/_sandbox/microsoft/webhooks/rules", m.control(m.addWebhookRule)).Methods(http.MethodPost)
	r.Handle("/_sandbox/microsoft/webhooks/rules", m.control(m.clearWebhookRules)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/microsoft/webhooks/rules/{id}", m.control(m.deleteWebhookRule)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/microsoft/webhooks/{id}/fire", m.control(m.fireWebhook)).Methods(http.MethodPost)
	r.Handle("/_sandbox/microsoft/webhooks/{id}/drop", m.control(m.dropWebhook)).Methods(http.MethodPost)
	r.Handle("/_sandbox/microsoft/sample/webhooks", m.control(m.listReceived)).Methods(http.MethodGet)
	r.Handle("/_sandbox/openapi/microsoft.yaml", http.HandlerFunc(m.serveSpec)).Methods(http.MethodGet)
}

// resolveMethodNotAllowed answers any method but POST on resolve.
func (m *Marketplace) resolveMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	m.methodNotAllowed(w, r)
}
