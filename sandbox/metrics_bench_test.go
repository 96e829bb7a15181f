package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// BenchmarkMetricsScrape is one GET /_sandbox/metrics of a sandbox that
// has served a request of each kind (the Go runtime's and the process's
// series included).
func BenchmarkMetricsScrape(b *testing.B) {
	h, tok := handlerWithToken(b, func(*sandbox.Config) {})
	h.ServeHTTP(httptest.NewRecorder(), statusRequest(tok))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_sandbox/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
