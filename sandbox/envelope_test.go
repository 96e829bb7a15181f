package sandbox_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// rawExchange writes request bytes to the sandbox as they are, with no
// client library tidying them, and reads the one answer.
func rawExchange(t *testing.T, base, request string) *http.Response {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP answer to %.60q: %v", request, err)
	}
	return resp
}

// assertEnvelope checks the answer is the sandbox's JSON error envelope,
// with the request id of its header in its body.
func assertEnvelope(t *testing.T, resp *http.Response, wantStatus int, wantCode string) {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		RequestID   string `json:"request_id"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%d, body not JSON: %q", resp.StatusCode, raw)
	}
	if resp.StatusCode != wantStatus || body.Error != wantCode {
		t.Errorf("got %d %q, want %d %q: %s", resp.StatusCode, body.Error, wantStatus, wantCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := resp.Header.Get("X-Request-Id"); id == "" || id != body.RequestID {
		t.Errorf("X-Request-Id %q, body request_id %q", id, body.RequestID)
	}
	if body.Description == "" {
		t.Error("no error_description")
	}
}

// TestNetHTTPRefusalsComeInTheEnvelope sends what net/http refuses before
// any handler runs; it used to answer those in text/plain, without a
// request id.
func TestNetHTTPRefusalsComeInTheEnvelope(t *testing.T) {
	srv := sandboxtest.New(t)
	cases := []struct {
		name, request string
		status        int
		code          string
	}{
		{"bad escape in a marketplace path", "GET /api/v1/marketplace/subscriptions/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
		{"bad escape in a control path", "GET /_sandbox/%G0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
		{"no Host on HTTP/1.1", "GET /_sandbox/health HTTP/1.1\r\n\r\n", 400, "bad_request"},
		{"two Hosts", "GET /_sandbox/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request"},
		{"space in a header name", "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400, "bad_request"},
		{"header line without a colon", "GET /oauth/token HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400, "bad_request"},
		{"not HTTP at all", "hello there\r\n\r\n", 400, "bad_request"},
		{"control byte in the path", "GET /_sandbox/\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
		{"Content-Length not a number", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400, "bad_request"},
		{"two different Content-Lengths", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "bad_request"},
		{"over-long URL", "GET /api/v1/marketplace/subscriptions/" + strings.Repeat("a", 70<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, "request_header_fields_too_large"},
		{"over-long header block", "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 70<<10) + "\r\n\r\n", 431, "request_header_fields_too_large"},
		{"unsupported transfer coding", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "unsupported_transfer_encoding"},
		{"unknown Expect", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 1\r\n\r\na", 417, "expectation_failed"},
		{"HTTP/3.0 request line", "GET /_sandbox/health HTTP/3.0\r\nHost: x\r\n\r\n", 400, "http_version_not_supported"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"},
		{"HTTP/2 preface on a 1.1 port", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 404, "not_found"},
		{"malformed query on a listing", "GET /_sandbox/journal?path=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"},
		{"semicolon in a query", "GET /_sandbox/gitlab/subscriptions?partner=a;b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"},
		{"malformed query on the API", "GET /api/v1/marketplace/subscriptions/x?a=%% HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertEnvelope(t, rawExchange(t, srv.URL, tc.request), tc.status, tc.code)
		})
	}
}

// TestUntidyPathsRouteLikeTheirCleanForm: the portal's stack (Rails'
// router, the web server in front) routes //, trailing slashes and dot
// segments to the clean path; the sandbox used to answer mux's 301.
func TestUntidyPathsRouteLikeTheirCleanForm(t *testing.T) {
	srv := sandboxtest.New(t)
	tok, err := srv.Token("demo-partner", "demo-secret", "marketplace.order:read")
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		code, _ := body["error"].(string)
		return resp.StatusCode, code
	}
	cleanStatus, cleanCode := get("/api/v1/marketplace/subscriptions/unknown-id")
	if cleanStatus != http.StatusNotFound {
		t.Fatalf("clean path: %d %s", cleanStatus, cleanCode)
	}
	for _, path := range []string{
		"/api/v1//marketplace/subscriptions/unknown-id",
		"//api/v1/marketplace/subscriptions/unknown-id",
		"/api/v1/marketplace/subscriptions/unknown-id/",
		"/api/v1/marketplace/subscriptions/unknown-id//",
		"/api/v1/./marketplace/subscriptions/unknown-id",
		"/api/v1/marketplace/x/../subscriptions/unknown-id",
		"/api/v1/marketplace/x/%2e%2E/subscriptions/unknown-id",
		"/_sandbox/../api/v1/marketplace/subscriptions/unknown-id",
		"/../../api/v1/marketplace/subscriptions/unknown-id",
	} {
		status, code := get(path)
		if status != cleanStatus || code != cleanCode {
			t.Errorf("%s: %d %q, want %d %q as the clean path", path, status, code, cleanStatus, cleanCode)
		}
	}
	if status, code := get("/_sandbox//health/"); status != http.StatusOK {
		t.Errorf("/_sandbox//health/: %d %q", status, code)
	}
}

// TestHeadAnswersLikeGetWithoutABody: Rails answers HEAD on every GET
// route; the sandbox used to answer 405.
func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	srv := sandboxtest.New(t)
	tok, err := srv.Token("demo-partner", "demo-secret", "marketplace.order:read")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/api/v1/marketplace/subscriptions/unknown-id", tok, 404},
		{"/api/v1/marketplace/subscriptions/unknown-id", "", 401},
		{"/_sandbox/gitlab/fixtures", "", 200},
		{"/_sandbox/clock", "", 200},
		{"/_sandbox/openapi/gitlab.yaml", "", 200},
		{"/oauth/token", "", 405},
	} {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || n != 0 || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("HEAD %s: %d, %d body bytes, X-Request-Id %q; want %d, none", tc.path, resp.StatusCode, n, resp.Header.Get("X-Request-Id"), tc.status)
		}
	}
	a := do(t, http.MethodDelete, srv.URL+"/api/v1/marketplace/subscriptions/x", "", "")
	if allow := a.header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("Allow = %q, want GET and HEAD", allow)
	}
}

// TestDotSegmentIDsAreRefused: a fault rule or script id "." or ".." could
// never be read back, since its path resolves to the listing (found by
// FuzzFaultRule once paths were normalized).
func TestDotSegmentIDsAreRefused(t *testing.T) {
	srv := sandboxtest.New(t)
	for _, id := range []string{".", ".."} {
		for _, route := range []struct{ path, body string }{
			{"/_sandbox/faults", `{"id":"` + id + `","effect":{"status":503}}`},
			{"/_sandbox/gitlab/scripts", `{"id":"` + id + `","zuora":{"decline":true}}`},
		} {
			a := do(t, http.MethodPost, srv.URL+route.path, "application/json", route.body)
			if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.raw, "dot segments") {
				t.Errorf("POST %s id %q: %d %s", route.path, id, a.status, a.raw)
			}
		}
	}
	if a := do(t, http.MethodPost, srv.URL+"/_sandbox/faults", "application/json", `{"id":"...","effect":{"status":503}}`); a.status != http.StatusCreated {
		t.Errorf(`id "..." is an ordinary segment: %d %s`, a.status, a.raw)
	}
}
