package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// Marketplace is one fake vendor API the sandbox mounts: GitLab's
// Customers Portal, Microsoft's commercial marketplace. The sandbox owns
// what they share (the clock, the fault store, the journal, the control
// API, request ids) and asks each marketplace only what it alone knows:
// its routes, which requests are its own, how its errors look, who a
// request comes from and which values are secret.
type Marketplace interface {
	// Name is how fault rules, the journal and the marketplaces setting
	// name it ("gitlab").
	Name() string
	// Routes registers its vendor API and its /_sandbox/<name>/ control
	// routes.
	Routes(r *mux.Router)
	// Owns reports whether r is addressed to this marketplace's vendor
	// API (routed or not), so that an unknown path under its prefixes is
	// answered, faulted and journaled as its own.
	Owns(r *http.Request) bool
	// NotFound answers an unrouted path it owns in its envelope.
	NotFound(w http.ResponseWriter, r *http.Request)
	// MethodNotAllowed answers a routed path it owns called with another
	// method, in its envelope; the sandbox has set the Allow header.
	MethodNotAllowed(w http.ResponseWriter, r *http.Request)
	// FaultStatuses are the statuses a fault rule may inject for it.
	FaultStatuses() []int
	// WriteFault answers an injected error status in its envelope.
	WriteFault(w http.ResponseWriter, r *http.Request, status int, message string)
	// Identify names the partner (or publisher) and client behind r,
	// before or after the handler runs; "" when unknown.
	Identify(r *http.Request) (partner, client string)
	// Identities lists the partner and client ids a fault rule may match.
	Identities() (partners, clients []string)
	// Secrets are the values the journal must mask.
	Secrets() journal.Secrets
	// RequestIDHeaders name the headers that carry a request id in its
	// API, besides X-Request-Id: the id is read from them and echoed in
	// them.
	RequestIDHeaders() []string
	// Reset forgets its state and restores its fixtures; the sandbox
	// calls it while no clock job runs.
	Reset()
}

// internalTraffic is implemented by a marketplace whose own back office
// calls it over HTTP (the fake Zuora's callouts into GitLab's portal).
// Such requests are journaled as the marketplace's, but no fault rule
// ever fires on them: faults are for what a partner sends.
type internalTraffic interface {
	Internal(r *http.Request) bool
}

// correlated is implemented by a marketplace whose requests carry ids
// that link them to other traffic (Zuora-Notification-Id on a callout,
// x-ms-correlationid): the journal records them so that a query by
// correlationId finds every request of one conversation.
type correlated interface {
	CorrelationHeaders() []string
}

// describer is implemented by a marketplace that has more to say in
// GET /_sandbox than its name (its base paths, its fixture routes).
type describer interface {
	Describe(baseURL string) map[string]any
}

// marketplaceFor is the marketplace r is addressed to, or nil for the
// control API and for paths no marketplace owns.
func (s *Sandbox) marketplaceFor(r *http.Request) Marketplace {
	if isControl(r) {
		return nil
	}
	for _, m := range s.markets {
		if m.Owns(r) {
			return m
		}
	}
	return nil
}

// journalAPI names the marketplace a request is journaled under; "" is
// the control API (journaled only with journal.control) and a path no
// marketplace owns, which is journaled under the sandbox's own name.
func (s *Sandbox) journalAPI(r *http.Request) string {
	if m := s.marketplaceFor(r); m != nil {
		return m.Name()
	}
	if isControl(r) {
		return ""
	}
	return apiUnowned
}

// apiUnowned names, in the journal, requests for a path that no
// marketplace serves.
const apiUnowned = "none"

// faultAPI names the marketplace whose fault rules may fire on r; "" (never
// faulted) for the control API and for paths no marketplace owns.
func (s *Sandbox) faultAPI(r *http.Request) string {
	if m := s.marketplaceFor(r); m != nil {
		return m.Name()
	}
	return ""
}

// internal reports whether r is a marketplace's own back office calling
// it, which only a rule naming its path may fault.
func (s *Sandbox) internal(r *http.Request) bool {
	in, ok := s.marketplaceFor(r).(internalTraffic)
	return ok && in.Internal(r)
}

// faultTargets are the fault store's view of the marketplaces served.
func (s *Sandbox) faultTargets() []fault.API {
	apis := make([]fault.API, 0, len(s.markets))
	for _, m := range s.markets {
		partners, clients := m.Identities()
		apis = append(apis, fault.API{Name: m.Name(), Statuses: m.FaultStatuses(),
			Identify: m.Identify, WriteFault: m.WriteFault, Partners: partners, Clients: clients})
	}
	return apis
}

// marketplace returns the served marketplace named name, or nil.
func (s *Sandbox) marketplace(name string) Marketplace {
	for _, m := range s.markets {
		if m.Name() == name {
			return m
		}
	}
	return nil
}
