package microsoft

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
)

// The methods below are what the sandbox needs of each marketplace it
// mounts (its Marketplace interface): which requests are this one's, its
// error envelope for unknown paths, verbs and injected faults, and its
// hooks into faults and the journal.

// Owns reports whether r is this marketplace's partner-facing traffic:
// the fulfillment API, and the token service's paths when one is mounted.
func (m *Marketplace) Owns(r *http.Request) bool {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, fulfillmentPrefix) || p == "/api/saas",
		p == "/api/usageEvent" || p == "/api/batchUsageEvent" || p == "/api/usageEvents":
		return true
	}
	return m.entraPath(r)
}

// entraPath: r is for the token service (mounted, and an Entra-shaped path).
func (m *Marketplace) entraPath(r *http.Request) bool {
	return m.opts.issuer != nil && entra.IsTokenPath(r.URL.Path)
}

// NotFound answers an unknown path it Owns in the envelope of the service
// the path belongs to (Entra's or the fulfillment API's).
func (m *Marketplace) NotFound(w http.ResponseWriter, r *http.Request) {
	if m.entraPath(r) {
		m.opts.issuer.NotFound(w, r)
		return
	}
	m.notFound(w, r)
}

// MethodNotAllowed answers a known path with the wrong verb; the sandbox
// has set Allow.
func (m *Marketplace) MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if m.entraPath(r) {
		m.opts.issuer.MethodNotAllowed(w, r, strings.Split(w.Header().Get("Allow"), ", "))
		return
	}
	m.methodNotAllowed(w, r)
}

// FaultStatuses are the statuses a fault rule may inject into the
// fulfillment API: what a publisher meets in front of the real one.
func (m *Marketplace) FaultStatuses() []int { return FaultStatuses() }

// FaultStatuses are the statuses a fault rule may inject into the
// marketplace's API, sorted; the sandbox checks rules against them before
// any marketplace is built.
func FaultStatuses() []int {
	out := make([]int, 0, len(codeOfStatus))
	for s := range codeOfStatus {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// WriteFault answers an injected error in the fulfillment envelope.
func (m *Marketplace) WriteFault(w http.ResponseWriter, r *http.Request, status int, message string) {
	if m.entraPath(r) {
		m.opts.issuer.WriteFault(w, r, status, message)
		return
	}
	code, ok := codeOfStatus[status]
	if !ok {
		code = CodeInternal
	}
	echoIDs(w, r)
	e := newError(code, "", message)
	e.Status = status
	writeError(w, r, m.log, e)
}

// Identify names the publisher and app of a request cheaply, before its
// handler runs: from the (unverified) claims of its bearer token, or the
// tenant in the token service's path. It is for fault matching and the
// journal only, never for authorisation.
func (m *Marketplace) Identify(r *http.Request) (publisher, client string) {
	if m.entraPath(r) {
		return m.opts.issuer.Identify(r)
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if tid, app := unverifiedClaims(token); app != "" {
			if p, ok := m.publishers.byApp(tid, app); ok {
				return p.ID, p.ClientID
			}
			return "", app
		}
	}
	if tenant, _, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); ok {
		if p, ok := m.publishers.byTenant(tenant); ok {
			return p.ID, ""
		}
	}
	return "", ""
}

// unverifiedClaims reads tid and appid (or azp) of a JWT without checking it.
func unverifiedClaims(token string) (tid, app string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) > 8192 {
		return "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ""
	}
	var c struct{ Tid, Appid, Azp string }
	if json.Unmarshal(raw, &c) != nil {
		return "", ""
	}
	if c.Appid == "" {
		c.Appid = c.Azp
	}
	return c.Tid, c.Appid
}

// Identities are the publisher and client ids a fault rule may match on.
func (m *Marketplace) Identities() (publishers, clients []string) {
	for _, p := range m.publishers.initial {
		publishers = append(publishers, p.ID)
		clients = append(clients, p.ClientID)
	}
	return publishers, clients
}

// Secrets are the values the journal masks: the publishers' client
// secrets, and the tokens the token service issued.
func (m *Marketplace) Secrets() journal.Secrets {
	var s journal.Secrets
	if m.opts.issuer != nil {
		s = m.opts.issuer.Secrets()
	}
	for _, p := range m.publishers.initial {
		s.Fixed = append(s.Fixed, p.ClientSecret)
	}
	return s
}

// RequestIDHeaders are the inbound headers whose value is the request id.
func (m *Marketplace) RequestIDHeaders() []string { return requestIDHeaders }

// requestIDHeaders and correlationHeaders are in net/http's canonical
// form, which Header.Get and Set otherwise build anew on every call.
var (
	requestIDHeaders   = []string{canonicalRequestID}
	correlationHeaders = []string{canonicalCorrelationID}
)

// CorrelationHeaders link a request to the rest of its conversation in
// the journal.
func (m *Marketplace) CorrelationHeaders() []string { return correlationHeaders }

// Describe is what GET /_sandbox says of the marketplace.
func (m *Marketplace) Describe(baseURL string) map[string]any {
	return map[string]any{
		"api":          "Microsoft commercial marketplace: SaaS Fulfillment API v2",
		"baseUrl":      baseURL + "/api/saas/subscriptions",
		"apiVersion":   APIVersion,
		"openapi":      baseURL + "/_sandbox/openapi/microsoft.yaml",
		"fixtures":     baseURL + "/_sandbox/microsoft/fixtures",
		"purchases":    baseURL + "/_sandbox/microsoft/purchases",
		"profile":      m.settings.Profile,
		"capabilities": []string{"resolve", "activate", "list", "change-plan", "change-quantity", "unsubscribe", "operations", "marketplace-events", "webhooks", "free-trial", "renewal", "metering", "sample-publisher"},
	}
}

// WriteBadQuery answers a query string that does not parse (the sandbox
// refuses it before routing) in the marketplace's envelope: Entra's on
// its paths, the fulfillment API's elsewhere.
func (m *Marketplace) WriteBadQuery(w http.ResponseWriter, r *http.Request, message string) {
	m.WriteFault(w, r, http.StatusBadRequest, message)
}

// RequestTenant names the Entra tenant a request is for: the tenant
// segment of a token-service path (/{tenant}/oauth2/v2.0/token, its
// discovery documents and keys), else the tid of its bearer JWT, read
// without checking the token (the workspace it reaches checks it), or "".
// A sandbox serving several workspaces routes a request to the one whose
// publisher has that tenant.
func RequestTenant(r *http.Request) string {
	if entra.IsTokenPath(r.URL.Path) {
		tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		return tenant
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tid, _ := unverifiedClaims(token)
		return tid
	}
	return ""
}
