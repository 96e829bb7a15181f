package microsoft_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
)

// TestSuspendedSubscriptionRefusals: only a Subscribed subscription can
// be changed; a Suspended one cannot be activated (docs/microsoft.md §4, §5).
func TestSuspendedSubscriptionRefusals(t *testing.T) {
	e := newEnv(t)
	seats := e.subscribed("team-seats", map[string]any{"quantity": 5})
	e.event(seats, map[string]any{"action": "Suspend"})
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"change quantity", http.MethodPatch, "/" + seats, map[string]any{"quantity": 6}},
		{"change plan", http.MethodPatch, "/" + seats, map[string]any{"planId": "basic"}},
		{"activate", http.MethodPost, "/" + seats + "/activate", map[string]any{"planId": "team-seats", "quantity": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(tc.method, tc.path, tc.body)
			expectError(t, r, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(strings.ToLower(r.body["message"].(string)), "suspended") {
				t.Fatalf("%s", r.raw)
			}
		})
	}
	t.Run("customer change", func(t *testing.T) {
		if r := e.event(seats, map[string]any{"action": "ChangeQuantity", "quantity": 6}); r.status != http.StatusConflict {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("the publisher may still unsubscribe", func(t *testing.T) {
		if r := e.api(http.MethodDelete, "/"+seats, nil); r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

// TestBodyLimit: a body over microsoft.max_body_bytes is a 400 in the envelope.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.MaxBodyBytes = 1024 } })
	id := e.subscribed("team-seats", map[string]any{"quantity": 5})
	big := `{"quantity": 6, "pad": "` + strings.Repeat("x", 2000) + `"}`
	r := e.api(http.MethodPatch, "/"+id, big)
	expectError(t, r, http.StatusBadRequest, "BadRequest")
	if !strings.Contains(r.body["message"].(string), "1024") {
		t.Fatalf("%s", r.raw)
	}
	if r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", nil, big); r.status != http.StatusBadRequest {
		t.Fatalf("%d", r.status)
	}
}

// TestUnsafeRequestIDsAreNotEchoed: an id that could inject header
// syntax is replaced by a fresh GUID; the call itself is served (the
// spec wants a uuid there, Microsoft does not refuse other ids).
func TestUnsafeRequestIDsAreNotEchoed(t *testing.T) {
	e := newEnv(t)
	e.lenient = true
	h := e.as(0)
	h["x-ms-requestid"] = "a<script>"
	r := e.do(http.MethodGet, "/api/saas/subscriptions"+v, h, nil)
	if got := r.header.Get("x-ms-requestid"); got == h["x-ms-requestid"] || len(got) != 36 {
		t.Fatalf("%q", got)
	}
}

// TestControlContentType: a control body labelled as anything but JSON is 415.
func TestControlContentType(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", map[string]string{"Content-Type": "text/plain"}, `{"offerId":"contoso-analytics","planId":"basic"}`)
	if r.status != http.StatusUnsupportedMediaType || r.body["error"] != "unsupported_media_type" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}
