package gitlab_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const (
	premiumSaaS = "2c92a00d76f0d5060176f2fb0a5029ff"
	scopeRead   = "marketplace.order:read"
	scopeCreate = "marketplace.order:create"
	subsPath    = "/api/v1/marketplace/subscriptions"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// call sends a request and reads the whole answer.
func call(t *testing.T, method, url string, header map[string]string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.json)
	if resp.StatusCode >= 500 {
		t.Errorf("%s %s answered %d: %s", method, url, resp.StatusCode, raw)
	}
	return r
}

// frozen starts a sandbox whose clock stands still at epoch.
func frozen(t *testing.T, opts ...sandboxtest.Option) *sandboxtest.Server {
	t.Helper()
	return sandboxtest.New(t, append([]sandboxtest.Option{sandboxtest.WithFrozenClock(epoch)}, opts...)...)
}

func token(t *testing.T, srv *sandboxtest.Server, client string, scopes ...string) string {
	t.Helper()
	secret := strings.TrimSuffix(client, "-partner") + "-secret"
	tok, err := srv.Token(client, secret, scopes...)
	if err != nil {
		t.Fatalf("token for %s: %v", client, err)
	}
	return tok
}

// order is a valid create body for the demo partner, as a map tests can
// break field by field.
func order(ext string) map[string]any {
	return map[string]any{
		"externalSubscriptionId": ext,
		"tradingPartnerId":       "TP-DEMO-001",
		"customer": map[string]any{
			"companyName": "Acme Corp",
			"contact":     map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
			"address":     map[string]any{"country": "GB"},
		},
		"orderLines": []any{map[string]any{"productId": premiumSaaS, "quantity": 10}},
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
}

func create(t *testing.T, srv *sandboxtest.Server, tok string, body any) reply {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		raw = mustJSON(t, body)
	}
	return call(t, http.MethodPost, srv.URL+subsPath, bearer(tok), raw)
}

func status(t *testing.T, srv *sandboxtest.Server, tok, ext string) reply {
	t.Helper()
	return call(t, http.MethodGet, srv.URL+subsPath+"/"+ext, bearer(tok), nil)
}

// expectError checks the portal's error envelope.
func expectError(t *testing.T, r reply, wantStatus int, wantCode string) {
	t.Helper()
	if r.status != wantStatus || r.json["error"] != wantCode {
		t.Fatalf("got %d %v, want %d %s; body %s", r.status, r.json["error"], wantStatus, wantCode, r.raw)
	}
	if d, _ := r.json["error_description"].(string); d == "" {
		t.Errorf("error_description is empty: %s", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || r.json["request_id"] != id {
		t.Errorf("request id header %q, body %v", id, r.json["request_id"])
	}
}

// fields lists the field paths of a 422 answer.
func fields(r reply) []string {
	var out []string
	list, _ := r.json["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		out = append(out, f)
	}
	return out
}
