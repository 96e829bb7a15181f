package sandbox

import (
	"net/http"
	"slices"
	"strings"

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

	// The request journal (package journal).
	r.Handle("/_sandbox/journal", s.control(s.listJournal)).Methods(http.MethodGet)
	r.Handle("/_sandbox/journal", s.control(s.clearJournal)).Methods(http.MethodDelete)
	r.Handle("/_sandbox/journal/{id}", s.control(s.getJournalEntry)).Methods(http.MethodGet)

	r.NotFoundHandler = s.notFound()
	r.MethodNotAllowedHandler = s.methodNotAllowed(routers)
	return r
}

// mountGuarded registers routes on a router of their own, tried from r
// only for a path starting with the literal part (up to the first
// variable) of one of its routes' templates: a path that starts with
// none of them cannot match any of those routes, so skipping them
// changes no answer. It returns that router, for the Allow header of a
// 405 (allowedMethods walks it).
//
// The router is reached through a matcher rather than mux's Subrouter,
// whose guard would run after it: a matcher that passes clears mux's
// record of a method mismatch seen earlier, and the guard of every
// marketplace that routes on a leading variable (Entra's /{tenantId})
// passes for every path. So the matcher keeps that record itself.
func mountGuarded(r *mux.Router, routes func(*mux.Router)) *mux.Router {
	sub := mux.NewRouter().UseEncodedPath().SkipClean(true)
	routes(sub)
	prefixes := literalPrefixes(sub)
	r.NewRoute().MatcherFunc(func(req *http.Request, match *mux.RouteMatch) bool {
		path := req.URL.EscapedPath()
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(path, p) }) {
			return false
		}
		before := match.MatchErr
		if sub.Match(req, match) {
			return true
		}
		if match.MatchErr == mux.ErrNotFound {
			match.MatchErr = before // no route of sub matched: as if none was tried
		}
		return false
	})
	return sub
}

// literalPrefixes are the literal starts of router's route templates, the
// shortest of any that share a start.
func literalPrefixes(router *mux.Router) []string {
	var prefixes []string
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if t, err := route.GetPathTemplate(); err == nil {
			p, _, _ := strings.Cut(t, "{")
			prefixes = append(prefixes, p)
		}
		return nil
	})
	slices.Sort(prefixes)
	kept := prefixes[:0]
	for _, p := range prefixes {
		if len(kept) == 0 || !strings.HasPrefix(p, kept[len(kept)-1]) {
			kept = append(kept, p)
		}
	}
	return kept
}
