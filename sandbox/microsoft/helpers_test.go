package microsoft_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

// start is 7 March 2026, 10:00 UTC: terms start on 7 March and a P1M
// term is over on 7 April.
var start = time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)

// fakeAuth accepts "Bearer tenant:app" and refuses anything else: the
// token service is package entra's business, tested there.
type fakeAuth struct{}

func (fakeAuth) Authenticate(r *http.Request) (microsoft.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tenant, app, ok2 := strings.Cut(tok, ":")
	if !ok || !ok2 {
		return microsoft.Principal{}, errors.New("no token")
	}
	return microsoft.Principal{TenantID: tenant, AppID: app}, nil
}

// fakeSigner signs "jwt:tenant:audience"; fakeVerifier checks that form.
type fakeSigner struct{}

func (fakeSigner) SignWebhook(tenant, aud string) (string, error) {
	return "jwt:" + tenant + ":" + aud, nil
}

type fakeVerifier struct{}

func (fakeVerifier) VerifyWebhook(token, tenant, aud string) error {
	if token != "jwt:"+tenant+":"+aud {
		return errors.New("bad signature")
	}
	return nil
}

// env is one marketplace behind an httptest server on a frozen clock.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	clock *clock.Clock
	m     *microsoft.Marketplace
	fx    fixtures.Microsoft
	// lenient: the profile accepts requests the spec forbids.
	lenient bool
}

type setup struct {
	settings func(*microsoft.Settings)
	opts     []microsoft.Option
}

func newEnv(t testing.TB, configure ...func(*setup)) *env {
	t.Helper()
	var su setup
	for _, c := range configure {
		c(&su)
	}
	s := microsoft.DefaultSettings()
	if su.settings != nil {
		su.settings(&s)
	}
	e := &env{t: t, clock: clock.New(clock.WithFrozen(start)), fx: fixtures.Default().Microsoft}
	router := mux.NewRouter().UseEncodedPath().SkipClean(true)
	e.srv = httptest.NewServer(router)
	t.Cleanup(e.srv.Close)
	opts := append([]microsoft.Option{microsoft.WithBaseURL(e.srv.URL), microsoft.WithAuthenticator(fakeAuth{}),
		microsoft.WithSigner(fakeSigner{}), microsoft.WithWebhookVerifier(fakeVerifier{})}, su.opts...)
	m, err := microsoft.New(s, e.fx, e.clock, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.m, e.lenient = m, s.Profile == microsoft.ProfileObserved
	m.Routes(router)
	// As the sandbox mounts it (sandbox/routes.go): unknown paths and
	// wrong methods are answered in the envelope.
	router.NotFoundHandler = http.HandlerFunc(m.NotFound)
	router.MethodNotAllowedHandler = http.HandlerFunc(m.MethodNotAllowed)
	return e
}

func observed(su *setup) {
	su.settings = func(s *microsoft.Settings) { s.Profile = microsoft.ProfileObserved }
}

// reply is an HTTP answer, its body decoded when it is JSON.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (e *env) do(method, path string, header map[string]string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	var sent []byte
	if rd != nil {
		sent, _ = io.ReadAll(rd)
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	if strings.HasPrefix(path, "/api/saas/") && path != "/api/saas/nothing" || isMeteringPath(path) {
		e.conform(req, sent, resp, raw)
	}
	return r
}

// isMeteringPath: one of the metering service's routes, which the
// document declares too.
func isMeteringPath(path string) bool {
	p, _, _ := strings.Cut(path, "?")
	return p == "/api/usageEvent" || p == "/api/batchUsageEvent" || p == "/api/usageEvents"
}

// specValidator checks traffic against our OpenAPI document (package spec).
var specValidator = func() *openapi.Validator {
	v, err := openapi.New(spec.YAML)
	if err != nil {
		panic(err)
	}
	return v
}()

// conform checks that every response matches the document, and that
// every request the sandbox accepted (2xx) was valid by it.
func (e *env) conform(req *http.Request, sent []byte, resp *http.Response, raw []byte) {
	e.t.Helper()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.Request = req
	if problems := specValidator.ValidateResponse(req, resp); len(problems) > 0 {
		e.t.Errorf("%s %s answered %d against the spec: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, problems, raw)
	}
	if resp.StatusCode < 300 && !e.lenient {
		req.Body = io.NopCloser(bytes.NewReader(sent))
		if problems := specValidator.ValidateRequest(req, sent); len(problems) > 0 {
			e.t.Errorf("%s %s was accepted but breaks the spec: %v", req.Method, req.URL.Path, problems)
		}
	}
}

// publisher returns the i-th default publisher's bearer header.
func (e *env) as(i int) map[string]string {
	p := e.fx.Publishers[i]
	return map[string]string{"Authorization": "Bearer " + p.TenantID + ":" + p.ClientID}
}

const v = "?api-version=2018-08-31"

// api calls the fulfillment API as publisher 0 (contoso).
func (e *env) api(method, path string, body any) reply {
	e.t.Helper()
	return e.do(method, "/api/saas/subscriptions"+path+v, e.as(0), body)
}

// purchase buys through the control API and returns the answer.
func (e *env) purchase(body map[string]any) reply {
	e.t.Helper()
	r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", nil, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("purchase: %d %s", r.status, r.raw)
	}
	return r
}

// subscribed buys plan of contoso-analytics and activates it; it
// returns the subscription id.
func (e *env) subscribed(plan string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"offerId": "contoso-analytics", "planId": plan}
	for k, v := range extra {
		body[k] = v
	}
	p := e.purchase(body)
	id := p.body["subscriptionId"].(string)
	sub := e.api(http.MethodGet, "/"+id, nil)
	act := map[string]any{"planId": plan}
	if q, ok := sub.body["quantity"]; ok {
		act["quantity"] = q
	}
	if r := e.api(http.MethodPost, "/"+id+"/activate", act); r.status != http.StatusOK {
		e.t.Fatalf("activate: %d %s", r.status, r.raw)
	}
	return id
}

// advance moves the clock and fires what falls due.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.clock.Advance(context.Background(), d)
}

// flush fires the work due now (webhook deliveries).
func (e *env) flush() { e.advance(0) }

func (e *env) sub(id string) map[string]any {
	e.t.Helper()
	r := e.api(http.MethodGet, "/"+id, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("get %s: %d %s", id, r.status, r.raw)
	}
	return r.body
}

func (e *env) event(id string, body map[string]any) reply {
	e.t.Helper()
	return e.do(http.MethodPost, "/_sandbox/microsoft/subscriptions/"+id+"/events", nil, body)
}

// webhooks lists the delivery attempts of a subscription.
func (e *env) webhooks(id string) []map[string]any {
	e.t.Helper()
	r := e.do(http.MethodGet, "/_sandbox/microsoft/webhooks?limit=1000&subscriptionId="+id, nil, nil)
	var out []map[string]any
	for _, w := range r.body["webhooks"].([]any) {
		out = append(out, w.(map[string]any))
	}
	return out
}

func expectError(t testing.TB, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.body["code"] != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	for _, k := range []string{"message", "target", "details"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("envelope lacks %q: %s", k, r.raw)
		}
	}
}

// newReceiver is a publisher's own webhook receiver.
func newReceiver(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
