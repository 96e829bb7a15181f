package sandbox

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkSessionOpenAndEnd measures what a CI job pays to get its own
// workspace: POST /_sandbox/sessions, then DELETE, in process; and the
// live heap one open session holds before any traffic (heap-B/session).
func BenchmarkSessionOpenAndEnd(b *testing.B) {
	for _, api := range []string{"gitlab", "microsoft"} {
		b.Run(api, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Sessions.Max = 1000
			sb, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			h := sb.Handler()
			open := func() string {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_sandbox/sessions", strings.NewReader(`{"api":"`+api+`"}`)))
				if w.Code != http.StatusCreated {
					b.Fatalf("open: %d %s", w.Code, w.Body)
				}
				return w.Body.String()[7:19] // {"id":"s…"
			}
			end := func(id string) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/_sandbox/sessions/"+id, nil))
				if w.Code != http.StatusNoContent {
					b.Fatalf("end %s: %d %s", id, w.Code, w.Body)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				end(open())
			}
			b.StopTimer()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ids := make([]string, 200)
			for i := range ids {
				ids[i] = open()
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(ids)), "heap-B/session")
			for _, id := range ids {
				end(id)
			}
		})
	}
}
