package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// routes lists the sandbox's shared control API and mounts each
// marketplace, whose own routes.go lists its surface.
func (s *Sandbox) routes() *mux.Router {
	// SkipClean: normalizePath has already made the path what the portal
	// would route; mux's own cleaning answers 301s the portal never does.
	r := mux.NewRouter().UseEncodedPath().SkipClean(true)

	// The marketplaces first: mux tries routes in order, one regexp each,
	// and partner traffic should not walk past every control route.
	// No path overlaps, so the order changes nothing else. Each
	// marketplace's routes sit behind a prefix check (see mountGuarded),
	// so one marketplace's traffic skips the other's regexps.
	routers := []*mux.Router{r}
	for _, m := range s.markets {
		routers = append(routers, mountGuarded(r, m.Routes))
	}

	r.Handle("/_sandbox", s.control(s.describe)).Methods(http.MethodGet)
	r.Handle("/_sandbox/health", http.HandlerFunc(s.health)).Methods(http.MethodGet, http.MethodHead)
	if s.caPEM != nil {
		r.Handle("/_sandbox/ca.pem", tlscert.CAHandler(s.caPEM)).Methods(http.MethodGet)
	}
	if s.ownsMetrics {
		r.Handle("/_sandbox/metrics", http.HandlerFunc(s.serveMetrics)).Methods(http.MethodGet)
	}
	r.Handle("/_sandbox/reset", s.control(s.reset)).Methods(http.MethodPost)
	r.Handle("/_sandbox/clock", s.control(s.readClock)).Methods(http.MethodGet)
	r.Handle("/_sandbox/clock/advance", s.control(s.advanceClock)).Methods(http.MethodPost)

	// Fault injection (package fault).
	r.Handle("/_sandbox/faults", s.control(s.listFaults)).Methods(http.MethodGet)
	r.Handle("/_sandbox/faults", s.control(s.addFault)).Methods(http.MethodPost)
	r.Handle("/_sandbox/faults", s.control(s.deleteFaults)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/faults/seed", s.control(s.seedFaults)).Methods(http.MethodPost)
	r.Handle("/_sandbox/faults/{id}", s.control(s.getFault)).Methods(http.MethodGet)
	r.Handle("/_sandbox/faults/{id}", s.control(s.deleteFault)).Methods(http.MethodDelete)

	// Certification sessions: isolated workspaces, each a sandbox of its
	// own under /_sandbox/sessions/{id}/ (sessions.go routes to them).
	r.Handle("/_sandbox/sessions", s.control(s.createSession)).Methods(http.MethodPost)
	r.Handle("/_sandbox/sessions", s.control(s.listSessions)).Methods(http.MethodGet)
	r.Handle("/_sandbox/sessions/{id}", s.control(s.getSession)).Methods(http.MethodGet)
	r.Handle("/_sandbox/sessions/{id}", s.control(s.endSession)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/sessions/{id}/report", s.control(s.sessionReport)).Methods(http.MethodGet)

	// The request journal (package journal).
	r.Handle("/_sandbox/journal", s.control(s.listJournal)).Methods(http.MethodGet)
	r.Handle("/_sandbox/journal", s.control(s.clearJournal)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/journal/{id}", s.control(s.getJournalEntry)).Methods(http.MethodGet)

	r.NotFoundHandler = s.notFound()
	r.MethodNotAllowedHandler = s.methodNotAllowed(routers)
	return r
}
