package entra

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// The fixtures of these tests: two publishers, each with one app in its
// own tenant.
const (
	tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	appA    = "11111111-2222-4333-8444-555555555555"
	secretA = "contoso-app-secret-1"
	tenantB = "0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f"
	appB    = "99999999-8888-4777-8666-555555555555"
	secretB = "fabrikam-app-secret-2"
)

var testApps = []App{
	{TenantID: tenantA, ClientID: appA, ClientSecret: secretA, PublisherID: "contoso"},
	{TenantID: tenantB, ClientID: appB, ClientSecret: secretB, PublisherID: "fabrikam"},
}

// start is the frozen clock's start in every test.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is an issuer behind an httptest server, on a frozen clock.
type env struct {
	t      testing.TB
	clock  *clock.Clock
	wall   *clock.Clock // stands for the wall clock: frozen too
	issuer *Issuer
	srv    *httptest.Server
}

// newEnv starts an issuer with settings s (defaults when zero) and wires
// its envelope into the router's 404 and 405, as the marketplace will.
func newEnv(t testing.TB, s *Settings) *env {
	t.Helper()
	settings := DefaultSettings()
	if s != nil {
		settings = *s
	}
	clk := clock.New(clock.WithFrozen(start))
	r := mux.NewRouter()
	e := &env{t: t, clock: clk, wall: clock.New(clock.WithFrozen(start))}
	srv := httptest.NewUnstartedServer(r)
	srv.Start()
	t.Cleanup(srv.Close)
	iss, err := New(settings, clk, testApps, WithBaseURL(srv.URL), WithWallClock(e.wall.Now))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	iss.Routes(r)
	r.NotFoundHandler = http.HandlerFunc(iss.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		iss.MethodNotAllowed(w, req, []string{http.MethodPost})
	})
	e.issuer, e.srv = iss, srv
	return e
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(req *http.Request) answer {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		e.t.Fatalf("%s %s: body is not a JSON object: %q", req.Method, req.URL, raw)
	}
	return a
}

// postForm posts a form body to path with extra headers.
func (e *env) postForm(path string, form url.Values, headers map[string]string) answer {
	e.t.Helper()
	return e.post(path, form.Encode(), "application/x-www-form-urlencoded", headers)
}

func (e *env) post(path, body, contentType string, headers map[string]string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

func (e *env) get(path string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	return e.do(req)
}

// v2Form is a correct v2 client-credentials request of app A.
func v2Form() url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appA}, "client_secret": {secretA},
		"scope": {FulfillmentResource + "/.default"},
	}
}

// v1Form is a correct v1 client-credentials request of app A.
func v1Form() url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appA}, "client_secret": {secretA},
		"resource": {FulfillmentResource},
	}
}

// tokenV2 gets a v2 access token for app A.
func (e *env) tokenV2() string {
	e.t.Helper()
	a := e.postForm("/"+tenantA+"/oauth2/v2.0/token", v2Form(), nil)
	if a.status != http.StatusOK {
		e.t.Fatalf("v2 token: %d %s", a.status, a.raw)
	}
	return a.body["access_token"].(string)
}

// payload decodes a JWT's claims without verifying it.
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	return decodeSegment(t, parts[1])
}

// header decodes a JWT's JOSE header.
func header(t *testing.T, token string) map[string]any {
	t.Helper()
	return decodeSegment(t, strings.Split(token, ".")[0])
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment %q: %v", seg, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("segment %q: %v", raw, err)
	}
	return m
}

// bearer is a request to the fulfillment API carrying token.
func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/saas/subscriptions?api-version=2018-08-31", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// wantClaims checks claims against want, naming each mismatch.
func wantClaims(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("claim %s = %#v, want %#v", k, got[k], v)
		}
	}
}
