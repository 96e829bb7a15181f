package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// A defect plants one departure from Microsoft's API in an otherwise
// faithful implementation: our sandbox behind a proxy that rewrites what
// passes, both ways, and relays the webhooks the sandbox sends.
type defect struct {
	// request may change a request before the sandbox sees it.
	request func(r *http.Request)
	// response may change an answer before the harness sees it.
	response func(r *http.Request, status *int, h http.Header, body []byte) []byte
	// webhook may change a delivery on its way to the publisher.
	webhook func(h http.Header, body []byte) []byte
}

// defectiveTarget serves the sandbox through the defect. A nil defect
// is a transparent proxy.
func defectiveTarget(t *testing.T, d defect) string {
	t.Helper()
	sb := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	backend, _ := url.Parse(sb.URL)
	var relayMu sync.Mutex
	relayTo := map[string]string{} // publisher → the harness's receiver
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		relayMu.Lock()
		to := relayTo[strings.TrimPrefix(r.URL.Path, "/")]
		relayMu.Unlock()
		h := r.Header.Clone()
		if d.webhook != nil {
			body = d.webhook(h, body)
		}
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, to, bytes.NewReader(body))
		out.Header = h
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	t.Cleanup(relay.Close)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		if d.request != nil {
			d.request(r)
		}
		// The publishers' webhooks go through the relay, which the
		// defect may rewrite.
		if id, ok := strings.CutPrefix(r.URL.Path, "/_sandbox/microsoft/publishers/"); ok && r.Method == http.MethodPatch && d.webhook != nil {
			var body map[string]any
			raw, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(raw, &body)
			if u, ok := body["webhookUrl"].(string); ok {
				relayMu.Lock()
				relayTo[id] = u
				relayMu.Unlock()
				body["webhookUrl"] = relay.URL + "/" + id
			}
			raw, _ = json.Marshal(body)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
			r.Header.Set("Content-Length", strconv.Itoa(len(raw)))
		}
	}
	proxy.ModifyResponse = func(resp *http.Response) error {
		if d.response == nil {
			return nil
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status := resp.StatusCode
		body = d.response(resp.Request, &status, resp.Header, body)
		resp.StatusCode = status
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runMicrosoftPack runs the Microsoft pack against url.
func runMicrosoftPack(t *testing.T, url string, only func(id string) bool) map[string]engine.Result {
	t.Helper()
	return runMicrosoftPackOn(t, target.Config{URL: url}, only)
}

// runMicrosoftPackOn runs the Microsoft pack (the scenarios only keeps,
// or all) against the target cfg describes, with a webhook receiver.
func runMicrosoftPackOn(t *testing.T, cfg target.Config, only func(id string) bool) map[string]engine.Result {
	t.Helper()
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	client := engine.DefaultHTTPClient(5 * time.Second)
	// (cfg is completed by discovery below)
	cfg, err = target.Discover(context.Background(), client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := cfg.Resolve(scenario.APIMicrosoft)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := engine.NewReceiver("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	r, err := engine.New(tgt, lib, engine.WithReceiver(rc), engine.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]engine.Result{}
	for _, sc := range lib.Scenarios {
		if sc.API == scenario.APIMicrosoft && (only == nil || only(sc.ID)) {
			out[sc.ID] = r.Run(context.Background(), sc)
		}
	}
	return out
}

// TestMicrosoftPackPassesATransparentProxy: nothing in the pack depends
// on talking to the sandbox directly (its address, connection reuse, the
// order of headers).
func TestMicrosoftPackPassesATransparentProxy(t *testing.T) {
	results := runMicrosoftPack(t, defectiveTarget(t, defect{webhook: func(_ http.Header, b []byte) []byte { return b }}), nil)
	if len(results) < 70 {
		t.Errorf("the Microsoft pack has %d scenarios, want at least 70", len(results))
	}
	for id, res := range results {
		if res.Outcome != engine.Pass {
			t.Errorf("%s: %s through a transparent proxy\n%s", id, res.Outcome, res.Message())
		}
	}
}

// TestMicrosoftPackDetectsDefects: each planted defect fails the
// scenario guarding the requirement it breaks, with the requirement in
// the message.
func TestMicrosoftPackDetectsDefects(t *testing.T) {
	fulfillment := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/saas/") }
	tests := []struct {
		name   string
		defect defect
		fails  []string
	}{
		{"auth failures answered 401", defect{response: func(r *http.Request, status *int, _ http.Header, b []byte) []byte {
			if *status == http.StatusForbidden {
				*status = http.StatusUnauthorized
			}
			return b
		}}, []string{"ms-auth-forbidden/not-a-jwt", "ms-auth-no-token/list", "ms-isolation-other-publisher/get"}},
		{"no api-version check", defect{request: func(r *http.Request) {
			if fulfillment(r) && r.URL.Query().Get("api-version") != "2018-08-31" {
				q := r.URL.Query()
				q.Set("api-version", "2018-08-31")
				r.URL.RawQuery = q.Encode()
			}
		}}, []string{"ms-api-version/missing", "ms-api-version/other"}},
		{"request id not echoed", defect{response: func(r *http.Request, _ *int, h http.Header, b []byte) []byte {
			h.Del("x-ms-requestid")
			return b
		}}, []string{"ms-request-ids-echoed/success", "ms-request-ids-generated/success"}},
		{"unknown subscription answered 200", defect{response: func(r *http.Request, status *int, _ http.Header, b []byte) []byte {
			if fulfillment(r) && r.Method == http.MethodGet && *status == http.StatusNotFound {
				*status = http.StatusOK
			}
			return b
		}}, []string{"ms-not-found/get"}},
		{"operations listed as a bare array", defect{response: func(r *http.Request, _ *int, _ http.Header, b []byte) []byte {
			var list struct{ Operations json.RawMessage }
			if strings.HasSuffix(r.URL.Path, "/operations") && json.Unmarshal(b, &list) == nil && list.Operations != nil {
				return list.Operations
			}
			return b
		}}, []string{"ms-operations-pending"}},
		{"webhook field misspelt", defect{webhook: func(_ http.Header, b []byte) []byte {
			return bytes.ReplaceAll(b, []byte(`"operationRequestSource"`), []byte(`"operationRequestedSource"`))
		}}, []string{"ms-webhook-change-quantity-ack"}},
		{"webhooks unsigned", defect{webhook: func(h http.Header, b []byte) []byte {
			h.Del("Authorization")
			return b
		}}, []string{"ms-webhook-change-quantity-ack"}},
		{"webhooks signed for another audience", defect{webhook: func(h http.Header, b []byte) []byte {
			// a token of the sandbox, but not the publisher's webhook token:
			// its signature no longer verifies once its claims change
			parts := strings.Split(strings.TrimPrefix(h.Get("Authorization"), "Bearer "), ".")
			if len(parts) == 3 {
				parts[1] = strings.TrimRight(parts[1], "A") + "A"
				h.Set("Authorization", "Bearer "+strings.Join(parts, "."))
			}
			return b
		}}, []string{"ms-webhook-change-quantity-ack"}},
		{"PATCH while pending accepted", defect{response: func(r *http.Request, status *int, _ http.Header, b []byte) []byte {
			if fulfillment(r) && r.Method == http.MethodPatch && *status == http.StatusConflict {
				*status = http.StatusAccepted
				return nil
			}
			return b
		}}, []string{"ms-locked-by-pending-operation/patch-after-patch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]bool{}
			for _, id := range tt.fails {
				want[id] = true
			}
			results := runMicrosoftPack(t, defectiveTarget(t, tt.defect), func(id string) bool { return want[id] })
			for _, id := range tt.fails {
				res, ok := results[id]
				switch {
				case !ok:
					t.Errorf("%s: no such scenario", id)
				case res.Outcome != engine.Fail:
					t.Errorf("%s: %s, want fail\n%s", id, res.Outcome, res.Message())
				case !strings.Contains(res.Message(), res.Requirement):
					t.Errorf("%s: the failure does not name the requirement:\n%s", id, res.Message())
				}
			}
		})
	}
}
