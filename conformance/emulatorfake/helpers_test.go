package emulatorfake_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/emulatorfake"
)

const v = "?api-version=2018-08-31"

// start serves a new emulator; the emulator closes first so requests it
// left hanging are released before the server waits for them.
func start(t *testing.T, opts ...emulatorfake.Option) *httptest.Server {
	t.Helper()
	e := emulatorfake.New(opts...)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(e.Close)
	return srv
}

// answer is one response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", a.body, err)
	}
	return m
}

// call sends one request; body, when not "", is sent as JSON. headers are
// name, value pairs.
func call(t *testing.T, srv *httptest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// token is a purchase token as the emulator's UI builds it: standard
// base64 of indented JSON.
func token(t *testing.T, fields map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// purchase resolves a new subscription of the sample per-seat offer and,
// when activate is true, activates it; it returns the subscription id.
func purchase(t *testing.T, srv *httptest.Server, id string, activate bool) string {
	t.Helper()
	tok := token(t, map[string]any{"id": id, "name": "sub " + id, "offerId": "sample-seats",
		"planId": "seat-basic", "quantity": 5})
	if a := call(t, srv, "POST", "/api/saas/subscriptions/resolve"+v, "", "x-ms-marketplace-token", tok); a.status != 200 {
		t.Fatalf("resolve: %d %s", a.status, a.body)
	}
	if activate {
		if a := call(t, srv, "POST", "/api/saas/subscriptions/"+id+"/activate"+v, `{"planId":"seat-basic"}`); a.status != 200 {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
	}
	return id
}

// stored reads a subscription through the control API.
func stored(t *testing.T, srv *httptest.Server, id string) map[string]any {
	t.Helper()
	return call(t, srv, "GET", "/api/util/publishers/FourthCoffee/subscriptions/"+id, "").json(t)
}

// eventually polls cond until it holds or two seconds have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func statusOf(t *testing.T, srv *httptest.Server, id string) func() string {
	return func() string {
		s, _ := stored(t, srv, id)["saasSubscriptionStatus"].(string)
		return s
	}
}

// operations lists every stored operation of a subscription, settled ones
// included, from GET /api/util/publishers.
func operations(t *testing.T, srv *httptest.Server, id string) []map[string]any {
	t.Helper()
	var all map[string]map[string]struct {
		Operations map[string]map[string]any `json:"operations"`
	}
	a := call(t, srv, "GET", "/api/util/publishers", "")
	if err := json.Unmarshal([]byte(a.body), &all); err != nil {
		t.Fatal(err)
	}
	var ops []map[string]any
	for _, subs := range all {
		for _, o := range subs[id].Operations {
			ops = append(ops, o)
		}
	}
	return ops
}

// emulatorfakeOperationTimeout keeps operations InProgress long enough
// to be seen, and short enough for a test.
func emulatorfakeOperationTimeout() emulatorfake.Option {
	return emulatorfake.WithOperationTimeout(150 * time.Millisecond)
}
