package fault_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
)

// BenchmarkInjector compares a bare handler with the same handler behind
// the injector holding no rule (the fast path every request takes when
// faults are not used) and one rule that does not match.
func BenchmarkInjector(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	apis := []fault.API{{Name: "gitlab", Statuses: []int{503}}}
	apiOf := func(*http.Request) string { return "gitlab" }
	empty, err := fault.NewStore(time.Now, 1, apis, nil)
	if err != nil {
		b.Fatal(err)
	}
	oneRule, err := fault.NewStore(time.Now, 1, apis, fault.Rules{{Match: fault.Match{Path: "/elsewhere"}, Effect: fault.Effect{Status: 503}}})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name    string
		handler http.Handler
	}{
		{"no middleware", ok},
		{"zero rules", fault.NewInjector(empty, apiOf).Wrap(ok)},
		{"one rule not matching", fault.NewInjector(oneRule, apiOf).Wrap(ok)},
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/marketplace/subscriptions/x", nil)
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				tc.handler.ServeHTTP(w, req)
			}
		})
	}
}
