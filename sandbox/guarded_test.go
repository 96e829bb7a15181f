package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// marketRouters builds every marketplace's router of a default sandbox
// (the Entra token service on), as mountGuarded mounts them, with the
// segment router read from each.
func marketRouters(tb testing.TB) map[string]struct {
	router   *mux.Router
	segments *segmentRouter
} {
	tb.Helper()
	s, err := New(DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]struct {
		router   *mux.Router
		segments *segmentRouter
	}{}
	for _, m := range s.markets {
		router := newMarketRouter(m.Routes)
		out[m.Name()] = struct {
			router   *mux.Router
			segments *segmentRouter
		}{router, newSegmentRouter(router)}
	}
	return out
}

// TestSegmentRoutingAgreesWithMux walks every route of every marketplace:
// built from its template, as a neighbour of each literal, one segment
// longer and shorter, in eight methods, the segment router picks the
// route mux picks, with the same variables and the same 404 / 405.
func TestSegmentRoutingAgreesWithMux(t *testing.T) {
	for name, m := range marketRouters(t) {
		t.Run(name, func(t *testing.T) {
			read := 0
			for _, r := range m.segments.routes {
				if !r.opaque() {
					read++
				}
			}
			// Every route the marketplaces have today is plain segments;
			// one left to mux would still be right, only slower.
			if read != len(m.segments.routes) || read == 0 {
				t.Errorf("%d of %d routes read as segments", read, len(m.segments.routes))
			}
			if err := m.segments.agreesWith(m.router); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzSegmentRouting compares the segment router with mux on any path and
// method, on every marketplace's routes.
func FuzzSegmentRouting(f *testing.F) {
	for _, seed := range []string{"/api/saas/subscriptions/resolve", "/api/saas/subscriptions/Resolve", "/api/saas/subscriptions/resolvex",
		"/api/saas/subscriptions/r", "/api/saas/subscriptions/re%2Fsolve", "/api/saas/subscriptions//operations", "/api/v1/marketplace/subscriptions/x",
		"/t/oauth2/v2.0/token", "/_sandbox/microsoft/webhooks/rules/x", "//", "/", "/api/saas/subscriptions/a/operations/b/"} {
		f.Add(http.MethodGet, seed)
		f.Add(http.MethodPatch, seed)
	}
	routers := marketRouters(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		u, err := url.Parse("http://sandbox.test" + path)
		if err != nil || u.Host != "sandbox.test" {
			return
		}
		req := &http.Request{Method: method, URL: u, Header: http.Header{}}
		for name, m := range routers {
			if err := m.segments.agreesOn(m.router, req); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
}

func TestTemplateSegments(t *testing.T) {
	cases := []struct {
		tpl   string
		plain bool
	}{
		{"/api/saas/subscriptions", true},
		{"/api/saas/subscriptions/{subscriptionId}", true},
		{"/api/saas/subscriptions/{subscriptionId:[0-9a-f-]+}", true},
		{"/api/saas/subscriptions/{subscriptionId:(?:[^/r][^/]*|r[^/]+)}", true},
		{"/files/{path:.+}", false},      // may cross a '/'
		{"/files/{path:[a-z/]+}", false}, // a class holding '/'
		{"/files/{path:a\\/b}", false},   // a literal '/'
		{"/files/{id:^x}", false},        // an anchor means another thing in a segment
		{"/files/{id:\\bx}", false},      // so does a word boundary
		{"/files/{name}.json", false},    // a variable and a literal in one segment
		{"/files/{a}{b}", false},         // two variables in one segment
		{"/files/{id:[0-9]{3}}", true},   // braces inside the pattern
		{"/files/{id:[0-9]{3}}/x", true}, // and a segment after it
		{"/files/{:x}", false},           // no name
		{"/files/{id:(}", false},         // a pattern that does not compile
		{"/", true},                      // the root: one empty literal
		{"/files/", true},                // a trailing slash: an empty last literal
	}
	for _, tc := range cases {
		t.Run(tc.tpl, func(t *testing.T) {
			_, plain := templateSegments(tc.tpl[1:])
			if plain != tc.plain {
				t.Fatalf("plain segments = %v, want %v", plain, tc.plain)
			}
		})
	}
}

// TestSegmentRoutingOnOddTemplates builds routers from templates the
// marketplaces do not use today, opaque ones among them, and checks the
// segment router against mux on each.
func TestSegmentRoutingOnOddTemplates(t *testing.T) {
	router := newMarketRouter(func(r *mux.Router) {
		noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		r.Handle("/", noop).Methods(http.MethodGet)
		r.Handle("/files/", noop).Methods(http.MethodGet)
		r.Handle("/files/{path:.+}", noop).Methods(http.MethodPut)
		r.Handle("/files/{id:[0-9]{3}}", noop).Methods(http.MethodGet, http.MethodDelete)
		r.Handle("/files/{name}.json", noop)
		r.Handle("/files/{id}", noop).Methods(http.MethodPost)
		r.Handle("/any/{a}/{b}", noop)
		r.Handle("/q/{a}", noop).Methods(http.MethodGet).Queries("x", "{x}")
	})
	segments := newSegmentRouter(router)
	if err := segments.agreesWith(router); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/files/123", "/files/12", "/files/a/b", "/files/x.json", "/files/", "/files", "/any/1/2", "/any//2", "/q/1", "/q/1?x=2", "/files/1234"} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch} {
			u, _ := url.Parse("http://sandbox.test" + path)
			if err := segments.agreesOn(router, &http.Request{Method: method, URL: u, Header: http.Header{}}); err != nil {
				t.Error(err)
			}
		}
	}
}
