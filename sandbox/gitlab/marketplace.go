package gitlab

import (
	"net/http"
	"strings"
)

// Name is how fault rules, the journal and the marketplaces setting name
// the portal.
func (p *Portal) Name() string { return "gitlab" }

// ownedPrefixes are the paths of the portal's API and of the endpoint the
// fake Zuora calls: Doorkeeper's /oauth/…, the Marketplace API's
// /api/v1/…, and /zuora/… (docs/gitlab.md §2, §6).
var ownedPrefixes = []string{"/oauth/", "/api/v1/", "/zuora/"}

// Owns reports whether r is addressed to the portal: a path under one of
// its prefixes, routed or not, so that /api/v1/anything is answered (404)
// in the portal's envelope as the real Rails application would.
func (p *Portal) Owns(r *http.Request) bool {
	path := r.URL.Path
	for _, prefix := range ownedPrefixes {
		if strings.HasPrefix(path, prefix) || path == strings.TrimSuffix(prefix, "/") {
			return true
		}
	}
	return false
}

// Internal reports whether r is the fake Zuora calling the portal's
// callout endpoint: the back office's own traffic, which fault rules for
// partners must never break (a rule without a path once did).
func (p *Portal) Internal(r *http.Request) bool {
	return r.URL.Path == CalloutPath
}

// NotFound answers an unrouted path of the portal in its envelope.
func (p *Portal) NotFound(w http.ResponseWriter, r *http.Request) { p.notFound().ServeHTTP(w, r) }

// MethodNotAllowed answers a routed path called with another method, in
// the portal's envelope; the caller has set the Allow header.
func (p *Portal) MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	p.methodNotAllowed().ServeHTTP(w, r)
}

// FaultStatuses are the statuses a fault rule may inject into the portal's
// API.
func (p *Portal) FaultStatuses() []int { return FaultStatuses() }

// RequestIDHeaders is empty: the portal, a Rails application, carries its
// request id in X-Request-Id only (ActionDispatch::RequestId).
func (p *Portal) RequestIDHeaders() []string { return nil }

// CorrelationHeaders are the ids of a Zuora callout: the request's own and
// the notification's, the same on every retry (docs/gitlab.md §6); the
// callout listings link the journal by them.
func (p *Portal) CorrelationHeaders() []string {
	return []string{"Zuora-Request-Id", "Zuora-Notification-Id"}
}

// Describe is what GET /_sandbox says of the portal.
func (p *Portal) Describe(baseURL string) map[string]any {
	return map[string]any{
		"api":      "GitLab Customers Portal Marketplace API",
		"baseUrl":  baseURL,
		"tokenUrl": baseURL + "/oauth/token",
		"openapi":  baseURL + "/_sandbox/openapi/gitlab.yaml",
		"fixtures": baseURL + "/_sandbox/gitlab/fixtures",
		"capabilities": []string{"oauth-client-credentials", "create", "status", "callouts", "scripts",
			"magic-values", "token-revoke", "token-introspect"},
	}
}
