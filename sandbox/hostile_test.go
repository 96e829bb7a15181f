package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// hostile is one request a hostile tester sends to the control API.
type hostile struct {
	method, path, body string
	header             map[string]string
}

// hostileInputs crosses every control route that takes input with the
// inputs that break naive handlers: unknown, repeated and wrongly typed
// fields and parameters, empty, huge, negative and unicode values, NUL
// bytes, over-long ids, the wrong media type and oversize bodies.
func hostileInputs() []hostile {
	huge := strings.Repeat("x", 70<<10)
	longID := strings.Repeat("a", 300)
	var hs []hostile
	post := func(path string, bodies ...string) {
		for _, b := range bodies {
			hs = append(hs, hostile{method: http.MethodPost, path: path, body: b})
		}
		hs = append(hs,
			hostile{method: http.MethodPost, path: path, body: `{"by":"1m"}`, header: map[string]string{"Content-Type": "text/plain"}},
			hostile{method: http.MethodPost, path: path, body: `{}`, header: map[string]string{"Content-Type": "application/json; charset=latin1"}},
			hostile{method: http.MethodPost, path: path, body: `{"a":"` + huge + `"}`},
			hostile{method: http.MethodPost, path: path + "?unknown=1", body: `{}`},
		)
	}
	common := []string{`{`, `[]`, `"x"`, `null`, `{"a":1,"a":1}`, "{\"x\":\"\xff\"}", `{} {}`, "{\"id\":\"a\x00b\"}", `{"zz":1}`}
	post("/_sandbox/clock/advance", append(common, `{"by":"-1s"}`, `{"by":""}`, `{"by":10}`, `{"by":"1m","to":"2031-01-01T00:00:00Z"}`,
		`{"by":"1m","by":"2m"}`, `{"to":"yesterday"}`, `{"to":"2029-01-01T00:00:00Z"}`, `{"to":"9999-12-31T23:59:59Z"}`,
		`{"by":"9999999h"}`, `{"by":"1m\u0000"}`, `{"by":"１m"}`)...)
	for _, q := range []string{"by=-1s", "by=1m&by=2m", "by=1m&to=2031-01-01T00:00:00Z", "by=%zz", "when=1m", "to=99999-01-01T00:00:00Z"} {
		hs = append(hs, hostile{method: http.MethodPost, path: "/_sandbox/clock/advance?" + q})
	}
	hs = append(hs, hostile{method: http.MethodPost, path: "/_sandbox/clock/advance?by=1m", body: `{"by":"1m"}`})
	post("/_sandbox/faults", append(common, `{"match":{},"effect":{"status":"503"}}`, `{"match":{},"effect":{"status":-1}}`,
		`{"id":"`+longID+`","match":{},"effect":{"status":503}}`, `{"id":"","match":{},"effect":{}}`,
		`{"match":{"path":"/_sandbox/reset"},"effect":{"status":503}}`, `{"match":{},"effect":{"latency":{"fixed":"-1s"}}}`,
		`{"match":{},"effect":{"status":503},"effect":{"status":500}}`, `{"id":"ünï","match":{},"effect":{"status":503}}`)...)
	post("/_sandbox/faults/seed", append(common, `{"seed":-1}`, `{"seed":1.5}`, `{"seed":"7"}`, `{"seed":18446744073709551616}`, `{}`)...)
	post("/_sandbox/gitlab/scripts", append(common, `{"callout":{"drop":true,"delay":"5m"}}`, `{"id":"`+longID+`","zuora":{"error":"x"}}`,
		`{"zuora":{"latency":"-5m"}}`, `{"callout":{"duplicate":1e9}}`, `{"partner":"DEMO-PARTNER","zuora":{"error":"x"}}`,
		`{"zuora":{"error":"x"},"zuora":{"latency":"1m"}}`)...)
	post("/_sandbox/reset", `{}`, `x`)
	for _, id := range []string{longID, "%00", "a%20b", "%C3%BC", "..", "%zz", "r1%2F..", " r1"} {
		hs = append(hs,
			hostile{method: http.MethodGet, path: "/_sandbox/faults/" + id},
			hostile{method: http.MethodDelete, path: "/_sandbox/faults/" + id},
			hostile{method: http.MethodGet, path: "/_sandbox/gitlab/scripts/" + id},
			hostile{method: http.MethodDelete, path: "/_sandbox/gitlab/scripts/" + id},
			hostile{method: http.MethodPost, path: "/_sandbox/gitlab/callouts/" + id + "/fire"},
			hostile{method: http.MethodPost, path: "/_sandbox/gitlab/callouts/" + id + "/drop"},
			hostile{method: http.MethodGet, path: "/_sandbox/journal/" + id},
		)
	}
	for _, id := range []string{"007", "+7", "-1", "18446744073709551616", "1e3"} {
		hs = append(hs, hostile{method: http.MethodGet, path: "/_sandbox/journal/" + id})
	}
	for _, path := range []string{"/_sandbox/gitlab/subscriptions", "/_sandbox/gitlab/callouts", "/_sandbox/gitlab/outbox",
		"/_sandbox/gitlab/callouts/pending", "/_sandbox/gitlab/scripts", "/_sandbox/journal"} {
		for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=abc", "limit=1&limit=2", "offset=-1", "offset=01",
			"nope=1", "status=provisioned", "partner=%00", "limit=99999999999999999999"} {
			hs = append(hs, hostile{method: http.MethodGet, path: path + "?" + q})
		}
	}
	for _, path := range []string{"/_sandbox/clock", "/_sandbox/faults", "/_sandbox/gitlab/fixtures", "/_sandbox/gitlab/magic"} {
		hs = append(hs, hostile{method: http.MethodGet, path: path + "?x=1"})
	}
	for _, path := range []string{"/_sandbox/faults", "/_sandbox/gitlab/scripts", "/_sandbox/journal"} {
		hs = append(hs, hostile{method: http.MethodDelete, path: path + "?id=r1"}, hostile{method: http.MethodDelete, path: path, body: `{"id":"r1"}`})
	}
	return hs
}

// snapshot is the control state a refused request must leave as it was.
func snapshot(t *testing.T, srv *sandboxtest.Server) string {
	t.Helper()
	var b strings.Builder
	for _, path := range []string{"/_sandbox/clock", "/_sandbox/faults", "/_sandbox/gitlab/scripts", "/_sandbox/gitlab/subscriptions",
		"/_sandbox/gitlab/callouts", "/_sandbox/gitlab/callouts/pending", "/_sandbox/gitlab/outbox"} {
		a := send(t, http.MethodGet, srv.URL+path, "")
		delete(a.body, "offset") // a frozen clock's offset follows the wall clock
		canonical, _ := json.Marshal(a.body)
		b.Write(canonical)
	}
	return b.String()
}

// TestHostileControlInputs: every hostile input to every control route is
// answered within a deadline, never with a 5xx, always in the envelope
// with an X-Request-Id, and a refused request changes no state.
func TestHostileControlInputs(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"r1","match":{"path":"/nowhere"},"effect":{"status":503}}`)
	if a := send(t, http.MethodPost, srv.URL+"/_sandbox/gitlab/scripts", `{"id":"keep","partner":"demo-partner","callout":{"manual":true}}`); a.status != 201 {
		t.Fatalf("script: %d %s", a.status, a.raw)
	}
	for _, h := range hostileInputs() {
		name := h.method + " " + h.path
		if len(name) > 120 {
			name = name[:120]
		}
		t.Run(name, func(t *testing.T) {
			before := snapshot(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, h.method, srv.URL+h.path, strings.NewReader(h.body))
			if err != nil {
				t.Skipf("not a request Go can send: %v", err)
			}
			for k, v := range h.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("%d %s", resp.StatusCode, raw)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id")
			}
			if resp.StatusCode < 400 {
				return // an input the route accepts; what it does is tested elsewhere
			}
			var env struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				RequestID   string `json:"request_id"`
			}
			if err := json.Unmarshal(raw, &env); err != nil || env.Error == "" || env.Description == "" || env.RequestID != resp.Header.Get("X-Request-Id") {
				t.Errorf("%d not in the envelope: %s", resp.StatusCode, raw)
			}
			if after := snapshot(t, srv); after != before {
				t.Errorf("a refused request (%d %s) changed the state", resp.StatusCode, raw)
			}
		})
	}
}
