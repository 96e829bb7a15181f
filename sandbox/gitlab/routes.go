package gitlab

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
)

// Routes registers the portal's whole surface on r: the Marketplace API a
// partner calls, the callout endpoint Zuora calls, and the portal's part of
// the /_sandbox control API.
func (p *Portal) Routes(r *mux.Router) {
	// The Marketplace API (docs/gitlab.md §2–§5).
	r.Handle("/oauth/token", p.handle(p.createToken)).Methods(http.MethodPost)
	r.Handle("/api/v1/marketplace/subscriptions",
		p.authed([]string{fixtures.ScopeCreate}, p.createSubscription)).Methods(http.MethodPost)
	r.Handle("/api/v1/marketplace/subscriptions/{external_subscription_id}",
		p.authed(p.scopesForStatus(), p.getSubscription)).Methods(http.MethodGet)

	// Doorkeeper's other endpoints (README, "OAuth endpoints").
	r.Handle("/oauth/revoke", p.handle(p.revokeToken)).Methods(http.MethodPost)
	r.Handle("/oauth/introspect", p.handle(p.introspectToken)).Methods(http.MethodPost)
	r.Handle("/oauth/token/info", p.handle(p.showTokenInfo)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/tokens", p.handle(p.listTokens)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/tokens/revoke", p.handle(p.controlRevoke)).Methods(http.MethodPost)

	// Zuora's callouts to the portal (docs/gitlab.md §6).
	r.Handle(CalloutPath, p.handle(p.receiveCallout)).Methods(http.MethodPost)

	// Control API: what the back office did, for tests and people.
	r.Handle("/_sandbox/gitlab/fixtures", p.handle(p.listFixtures)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/subscriptions", p.handle(p.listSubscriptions)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/callouts", p.handle(p.listCallouts)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/outbox", p.handle(p.listOutbox)).Methods(http.MethodGet)

	// Control API: back-office scripts and held callouts (README, "Back-office
	// scripts and manual callouts").
	r.Handle("/_sandbox/gitlab/scripts", p.handle(p.listScripts)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/scripts", p.handle(p.addScript)).Methods(http.MethodPost)
	r.Handle("/_sandbox/gitlab/scripts", p.handle(p.clearScripts)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/gitlab/scripts/{id}", p.handle(p.getScript)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/scripts/{id}", p.handle(p.deleteScript)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/gitlab/magic", p.handle(p.listMagic)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/callouts/pending", p.handle(p.listPendingCallouts)).Methods(http.MethodGet)
	r.Handle("/_sandbox/gitlab/callouts/{notificationId}/fire", p.handle(p.fireCallout)).Methods(http.MethodPost)
	r.Handle("/_sandbox/gitlab/callouts/{notificationId}/drop", p.handle(p.dropCallout)).Methods(http.MethodPost)
	r.Handle("/_sandbox/openapi/gitlab.yaml", http.HandlerFunc(p.serveSpec)).Methods(http.MethodGet)
}
