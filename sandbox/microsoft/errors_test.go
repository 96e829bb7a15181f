package microsoft

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestEveryCodeRendersInTheEnvelope walks the closed set of codes: each
// has a 4xx or 5xx status and renders {code, message, target, details}.
func TestEveryCodeRendersInTheEnvelope(t *testing.T) {
	for _, c := range Codes() {
		t.Run(string(c), func(t *testing.T) {
			if c.Status() < 400 {
				t.Fatalf("status %d", c.Status())
			}
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/", nil), nil, newError(c, "t", "m"))
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != c.Status() {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if body["code"] == "" || body["message"] != "m" || body["target"] != "t" || body["details"] == nil {
				t.Fatalf("%s", w.Body)
			}
		})
	}
	t.Run("an unexpected error is a bare 500", func(t *testing.T) {
		m, _ := New(DefaultSettings(), defaultFixtures(), nil)
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/", nil), m.log, errors.New("secret internals"))
		if w.Code != http.StatusInternalServerError || json.Valid(w.Body.Bytes()) == false {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("every fault status has a code", func(t *testing.T) {
		m, _ := New(DefaultSettings(), defaultFixtures(), nil)
		for _, s := range m.FaultStatuses() {
			w := httptest.NewRecorder()
			m.WriteFault(w, httptest.NewRequest("GET", "/api/saas/subscriptions", nil), s, "injected")
			if w.Code != s || w.Header().Get(HeaderRequestID) == "" {
				t.Fatalf("%d: %d %s", s, w.Code, w.Body)
			}
		}
	})
}
