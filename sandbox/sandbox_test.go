package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, method, url, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func TestHealthIsUnavailableUntilRun(t *testing.T) {
	sb, err := sandbox.New(sandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	if a := do(t, http.MethodGet, srv.URL+"/_sandbox/health", "", ""); a.status != http.StatusServiceUnavailable {
		t.Errorf("before Run: %d", a.status)
	}
}

func TestClockControl(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(start))
	a := do(t, http.MethodGet, srv.URL+"/_sandbox/clock", "", "")
	if a.status != 200 || a.body["now"] != "2030-01-01T00:00:00Z" || a.body["mode"] != "frozen" {
		t.Fatalf("clock: %d %s", a.status, a.raw)
	}
	cases := []struct {
		name, query, body string
		wantStatus        int
		wantNow           string
	}{
		{"by in the body", "", `{"by":"90m"}`, 200, "2030-01-01T01:30:00Z"},
		{"by as a query parameter", "?by=30m", "", 200, "2030-01-01T02:00:00Z"},
		{"to an absolute time", "", `{"to":"2030-02-01T00:00:00Z"}`, 200, "2030-02-01T00:00:00Z"},
		{"zero fires what is due", "", `{"by":"0s"}`, 200, "2030-02-01T00:00:00Z"},
		{"negative", "", `{"by":"-1h"}`, 400, ""},
		{"back in time", "", `{"to":"2029-01-01T00:00:00Z"}`, 400, ""},
		{"not a duration", "", `{"by":"soon"}`, 400, ""},
		{"days are not Go durations", "", `{"by":"3d"}`, 400, ""},
		{"both", "", `{"by":"1m","to":"2031-01-01T00:00:00Z"}`, 400, ""},
		{"neither", "", `{}`, 400, ""},
		{"unknown field", "", `{"by":"1m","extra":1}`, 400, ""},
		{"garbage", "", `{{{`, 400, ""},
		{"over a century", "", `{"by":"1000000h"}`, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance"+tc.query, "application/json", tc.body)
			if a.status != tc.wantStatus {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if tc.wantNow != "" && a.body["now"] != tc.wantNow {
				t.Errorf("now %v, want %s", a.body["now"], tc.wantNow)
			}
			if tc.wantStatus == 400 && (a.body["error"] != "invalid_request" || a.body["error_description"] == "") {
				t.Errorf("error body %s", a.raw)
			}
		})
	}
}

func TestResetForgetsStateAndPendingWork(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	tok, _ := srv.Token("demo-partner", "demo-secret", "marketplace.order:create")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", strings.NewReader(
		`{"externalSubscriptionId":"r1","tradingPartnerId":"TP-DEMO-001","customer":{"companyName":"A","contact":{"firstName":"A","lastName":"B","email":"a@b.co"},"address":{"country":"FR"}},"orderLines":[{"productId":"duo_pro","quantity":1}]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v %v", err, resp)
	}
	resp.Body.Close()
	if a := do(t, http.MethodPost, srv.URL+"/_sandbox/reset", "", ""); a.status != 200 {
		t.Fatalf("reset: %d %s", a.status, a.raw)
	}
	if a := do(t, http.MethodGet, srv.URL+"/_sandbox/clock", "", ""); len(a.body["pending"].([]any)) != 0 {
		t.Errorf("pending work survived reset: %s", a.raw)
	}
	if a := do(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions", "", ""); len(a.body["subscriptions"].([]any)) != 0 {
		t.Errorf("subscriptions survived reset: %s", a.raw)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/marketplace/subscriptions/r1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token survived reset: %d", resp.StatusCode)
	}
}

func TestUnknownPathsAndMethodsAnswerInTheRightEnvelope(t *testing.T) {
	srv := sandboxtest.New(t)
	cases := []struct {
		method, path string
		wantStatus   int
		wantCode     string
		wantAllow    string
	}{
		{http.MethodGet, "/nope", 404, "not_found", ""},
		{http.MethodGet, "/api/v1/marketplace", 404, "not_found", ""},
		{http.MethodGet, "/api/v1/marketplace/subscriptions/", 405, "method_not_allowed", "POST"}, // routed as without its trailing slash
		{http.MethodGet, "/_sandbox/nope", 404, "not_found", ""},
		{http.MethodGet, "/oauth/token", 405, "method_not_allowed", "POST"},
		{http.MethodDelete, "/api/v1/marketplace/subscriptions/x", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodPut, "/api/v1/marketplace/subscriptions", 405, "method_not_allowed", "POST"},
		{http.MethodPost, "/_sandbox/clock", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodGet, "/_sandbox/reset", 405, "method_not_allowed", "POST"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := do(t, tc.method, srv.URL+tc.path, "", "")
			if a.status != tc.wantStatus || a.body["error"] != tc.wantCode || a.body["request_id"] == "" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if got := a.header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
		})
	}
}

// TestNoInputProducesA5xx sends every method with odd bodies and headers to
// every route and to paths that match none.
func TestNoInputProducesA5xx(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	tok, _ := srv.Token("demo-partner", "demo-secret", "marketplace.order:read marketplace.order:create")
	paths := []string{
		"/oauth/token", "/api/v1/marketplace/subscriptions", "/api/v1/marketplace/subscriptions/%00",
		"/api/v1/marketplace/subscriptions/%E2%82", "/api/v1/marketplace/subscriptions/" + strings.Repeat("a", 5000),
		"/zuora/callouts", "/_sandbox/clock/advance", "/_sandbox/gitlab/subscriptions?status=Bogus",
		"/_sandbox/gitlab/callouts", "/_sandbox/gitlab/outbox", "/_sandbox/openapi/gitlab.yaml", "/%2e%2e/etc/passwd", "//",
	}
	bodies := []string{"", "{", "null", "[]", `{"a":` + strings.Repeat("[", 5000), "\xff\xfe\x00", strings.Repeat("x", 2<<20),
		`{"externalSubscriptionId":{"$gt":""}}`, `grant_type=client_credentials&scope=%ZZ`}
	types := []string{"", "application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-16", "multipart/form-data; boundary=x"}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "BREW"}
	for _, path := range paths {
		for _, method := range methods {
			for i, body := range bodies {
				req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader([]byte(body)))
				if err != nil {
					continue
				}
				req.Header.Set("Content-Type", types[i%len(types)])
				if i%2 == 0 {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					t.Errorf("%s %s body#%d: %d", method, path, i, resp.StatusCode)
				}
			}
		}
	}
}
