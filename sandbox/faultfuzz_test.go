package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// FuzzFaultRule posts arbitrary bytes as a fault rule to the control API:
// the answer is never a 5xx and always in the envelope; a rule the API
// stores reads back as posted; and a rule fault.DecodeRule accepts and
// fault.Validate passes survives JSON encoding unchanged.
func FuzzFaultRule(f *testing.F) {
	for _, seed := range []string{
		`{"match":{"method":"POST","path":"/oauth/token"},"effect":{"latency":{"uniform":{"min":"100ms","max":"2s"}}},"schedule":{"probability":0.25}}`,
		`{"id":"x","api":"gitlab","match":{"partner":"demo-partner","path":"/api/v1/marketplace/subscriptions/*"},"effect":{"status":503,"retryAfter":"30s"},"schedule":{"every":3,"times":2,"from":"+10m","until":"2030-01-01T00:00:00Z"}}`,
		`{"match":{"headers":{"X-Test":"1"}},"effect":{"transport":"truncated"}}`,
		`{"match":{},"effect":{"latency":{"logNormal":{"median":0.2,"sigma":1}},"status":429,"message":"slow down"}}`,
		`{"match":{},"effect":{"status":503},"effect":{"status":500}}`, `{"match":{"path":"/a/**"},"effect":{"transport":"hang"}}`,
		`[]`, `{`, "{\"id\":\"\xff\"}", `{"match":{},"effect":{"latency":{"fixed":1e300}}}`,
	} {
		f.Add([]byte(seed))
	}
	srv := sandboxtest.New(f, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		sandboxtest.WithConfig(func(c *sandbox.Config) { c.ControlHosts = []string{httptestHost} }))
	h := srv.Sandbox.Handler()
	apis := []fault.API{{Name: "gitlab", Statuses: []int{400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/_sandbox/faults", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%d answer is not JSON: %q", rec.Code, rec.Body.String())
		}
		switch {
		case rec.Code >= 500:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		case rec.Code == http.StatusCreated:
			id, _ := out["id"].(string)
			got := httptest.NewRecorder()
			h.ServeHTTP(got, httptest.NewRequest(http.MethodGet, "/_sandbox/faults/"+id, nil))
			if got.Code != http.StatusOK || !jsonEqual(got.Body.Bytes(), rec.Body.Bytes()) {
				t.Fatalf("stored rule %s reads back as %d %s", rec.Body.String(), got.Code, got.Body.String())
			}
			del := httptest.NewRecorder()
			h.ServeHTTP(del, httptest.NewRequest(http.MethodDelete, "/_sandbox/faults/"+id, nil))
			if del.Code != http.StatusNoContent {
				t.Fatalf("deleting %q: %d %s", id, del.Code, del.Body.String())
			}
		case out["error"] == nil || out["error_description"] == nil || out["request_id"] == nil:
			t.Fatalf("%d not in the envelope: %s", rec.Code, rec.Body.String())
		}

		rule, err := fault.DecodeRule(body)
		if err != nil || len(fault.Validate(rule, apis)) > 0 {
			return
		}
		encoded, err := json.Marshal(rule)
		if err != nil {
			t.Fatalf("a valid rule does not encode: %v", err)
		}
		again, err := fault.DecodeRule(encoded)
		if err != nil || !reflect.DeepEqual(again, rule) {
			t.Fatalf("round trip of %s: %+v, %v; want %+v", encoded, again, err, rule)
		}
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}
