package sandbox

import (
	"encoding/json"
	"fmt"
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
			cfg.ControlHosts = []string{"example.com"} // httptest.NewRequest's Host
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

// BenchmarkDefaultWorkspaceBesideSessions measures what open sessions
// cost the default workspace's traffic: a GitLab status read and a
// Microsoft subscription read with no session open and with 20, which
// every request at the root is checked against (its credentials).
func BenchmarkDefaultWorkspaceBesideSessions(b *testing.B) {
	for _, open := range []int{0, 20} {
		b.Run(fmt.Sprintf("sessions=%d", open), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.ControlHosts = []string{"example.com"} // httptest.NewRequest's Host
			sb, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			h := sb.Handler()
			for i := range open {
				api := []string{"gitlab", "microsoft"}[i%2]
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_sandbox/sessions", strings.NewReader(`{"api":"`+api+`"}`)))
				if w.Code != http.StatusCreated {
					b.Fatal(w.Body)
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/oauth/token",
				strings.NewReader("grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read")))
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
				b.Fatalf("token: %s", w.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/marketplace/subscriptions/nope", nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusNotFound {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
