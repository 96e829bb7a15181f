package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// header is the part every inline scenario shares.
const header = "id: t\ntitle: t\nrequirement: The target MUST behave.\napi: gitlab\n"

// recorder is an httptest handler that remembers requests and answers
// with a function of them.
type recorder struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	answer   func(w http.ResponseWriter, r *http.Request, body string)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.requests = append(rec.requests, r)
	rec.bodies = append(rec.bodies, string(b))
	rec.mu.Unlock()
	if r.URL.Path == "/oauth/token" {
		_ = r.ParseForm()
		form, _ := url.ParseQuery(string(b))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + form.Get("client_id") + "-" + strings.ReplaceAll(form.Get("scope"), " ", "+"), "token_type": "Bearer"})
		return
	}
	rec.answer(w, r, string(b))
}

func testTarget(t *testing.T, url string, caps ...string) target.Target {
	t.Helper()
	cfg := target.Config{URL: url, ProductID: "p1", Capabilities: caps, Credentials: map[string]target.Credential{
		"create":   {ClientID: "c1", ClientSecret: "secret-one", Scope: "read create", TradingPartnerID: "TP1"},
		"readonly": {ClientID: "c2", ClientSecret: "secret-two", Scope: "read"},
		"second":   {ClientID: "c3", ClientSecret: "secret-three", Scope: "read create", TradingPartnerID: "TP3"},
	}}
	tgt, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// runInline loads one scenario from YAML text and runs it against h.
func runInline(t *testing.T, h http.Handler, body string, caps []string, opts ...engine.Option) engine.Result {
	t.Helper()
	lib, err := scenario.Load(fstest.MapFS{
		"s.yaml":          {Data: []byte(header + body)},
		"_fragments.yaml": {Data: []byte("fragments:\n  order: {a: 1, b: {c: 2, d: 3}, list: [1, 2]}\n  path: /s/${unique}\n")},
	}, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts = append([]engine.Option{engine.WithContract("gitlab", contract(t)), engine.WithRunID("run1")}, opts...)
	r, err := engine.New(testTarget(t, srv.URL, caps...), lib, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), lib.Scenarios[0])
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestRequestsAreBuiltAsWritten(t *testing.T) {
	tests := []struct {
		name, step string
		check      func(t *testing.T, r *http.Request, body string)
	}{
		{"token auth fetches a client-credentials token", "auth: {token: create}", func(t *testing.T, r *http.Request, _ string) {
			if got := r.Header.Get("Authorization"); got != "Bearer tok-c1-read+create" {
				t.Errorf("Authorization = %q", got)
			}
		}},
		{"token auth with another scope", "auth: {token: create, scope: read}", func(t *testing.T, r *http.Request, _ string) {
			if got := r.Header.Get("Authorization"); got != "Bearer tok-c1-read" {
				t.Errorf("Authorization = %q", got)
			}
		}},
		{"basic from a credential", "auth: {basic: {credential: second}}", func(t *testing.T, r *http.Request, _ string) {
			if u, p, ok := r.BasicAuth(); !ok || u != "c3" || p != "secret-three" {
				t.Errorf("basic = %q %q %v", u, p, ok)
			}
		}},
		{"literal header wins over auth", "auth: {token: create}\n      headers: {Authorization: Bearer x}", func(t *testing.T, r *http.Request, _ string) {
			if got := r.Header.Get("Authorization"); got != "Bearer x" {
				t.Errorf("Authorization = %q", got)
			}
		}},
		{"json body with set and omit", "json: ${fragments.order}\n      set: {b.c: \"${unique}\", \"list[2]\": 3}\n      omit: [a, b.d]", func(t *testing.T, r *http.Request, body string) {
			if body != `{"b":{"c":"crun1-1"},"list":[1,2,3]}` || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("body = %s (%s)", body, r.Header.Get("Content-Type"))
			}
		}},
		{"form body", "form: {grant_type: client_credentials, client_id: \"${creds.create.clientId}\"}", func(t *testing.T, r *http.Request, body string) {
			if body != "client_id=c1&grant_type=client_credentials" {
				t.Errorf("body = %s", body)
			}
		}},
		{"a fragment inside a longer string is resolved too", "json: {p: \"${fragments.path}-b\"}", func(t *testing.T, _ *http.Request, body string) {
			if body != `{"p":"/s/crun1-1-b"}` {
				t.Errorf("body = %s", body)
			}
		}},
		{"query and repeat", "query: {q: \"${target.productId}\"}\n      repeat: {text: ab, times: 3}", func(t *testing.T, r *http.Request, body string) {
			if r.URL.RawQuery != "q=p1" || body != "ababab" {
				t.Errorf("query %q body %q", r.URL.RawQuery, body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answer: jsonAnswer(200, `{}`)}
			res := runInline(t, rec, "steps:\n  - request:\n      method: POST\n      path: /x\n      "+tt.step+"\n    expect: {status: 200}\n", nil)
			if res.Outcome != engine.Pass {
				t.Fatalf("outcome %s: %s", res.Outcome, res.Message())
			}
			last := len(rec.requests) - 1
			tt.check(t, rec.requests[last], rec.bodies[last])
		})
	}
}

func TestEveryFailureOfAStepIsReported(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("X-Thing", "b")
		jsonAnswer(500, `{"status":"Active","n":1}`)(w, r, "")
	}}
	res := runInline(t, rec, `steps:
  - request: {method: GET, path: /x}
    expect:
      status: 200
      headers: {X-Thing: {equals: a}, X-Missing: {present: true}}
      json: {status: {equals: Created}, n: {gt: 5}, gone: {present: true}}
      body: {contains: Created}
  - request: {method: GET, path: /never}
`, nil)
	want := []string{"status: want 200, got 500", "header X-Missing: want present", "header X-Thing: want \"a\"",
		"json gone: want present", "json n: want greater than 5", "json status: want \"Created\"", "body: want something containing"}
	if res.Outcome != engine.Fail || len(res.Failures) != len(want) {
		t.Fatalf("outcome %s, failures:\n%s", res.Outcome, res.Message())
	}
	for i, w := range want {
		if !strings.Contains(res.Failures[i].Message, w) {
			t.Errorf("failure %d = %q, want %q", i, res.Failures[i].Message, w)
		}
	}
	if len(rec.requests) != 1 {
		t.Errorf("the scenario went on after a failing step: %d requests", len(rec.requests))
	}
	if !strings.HasPrefix(res.Message(), "[t] The target MUST behave.") {
		t.Errorf("message does not start with id and requirement: %s", res.Message())
	}
}

func TestCapturesFeedLaterSteps(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, body string) {
		if r.URL.Path == "/first" {
			w.Header().Set("X-Id", "h1")
			jsonAnswer(201, `{"number":"A-S1","obj":{"k":[1]}}`)(w, r, "")
			return
		}
		jsonAnswer(200, `{"echo":`+body+`,"path":"`+r.URL.Path+`"}`)(w, r, "")
	}}
	res := runInline(t, rec, `steps:
  - request: {method: POST, path: /first}
    capture: {num: {json: number}, obj: {json: obj}, hdr: {header: X-Id}}
  - request: {method: POST, path: "/s/${vars.num}", json: {o: "${vars.obj}", h: "${vars.hdr}"}}
    expect:
      json:
        path: {equals: /s/A-S1}
        echo: {equals: {o: {k: [1]}, h: h1}}
`, nil)
	if res.Outcome != engine.Pass {
		t.Fatalf("%s", res.Message())
	}
}

func TestOutcomesAreKeptDistinct(t *testing.T) {
	ok := &recorder{answer: jsonAnswer(200, `{}`)}
	tests := []struct {
		name    string
		handler http.Handler
		body    string
		caps    []string
		want    engine.Outcome
		kind    engine.ErrorKind
		reason  string
	}{
		{"missing capability skips", ok, "needs: [control]\nsteps:\n  - control: {action: reset}\n", nil, engine.Skip, "", "lacks capability [control]"},
		{"broken body edit is a scenario error", ok, "steps:\n  - request: {method: POST, path: /x, json: {a: 1}, omit: [b]}\n    expect: {status: 200}\n", nil, engine.Error, engine.ScenarioError, "no such field"},
		{"control failure fails", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }),
			"needs: [control]\nsteps:\n  - control: {action: clock.advance, with: {by: 1s}}\n", []string{"control"}, engine.Fail, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runInline(t, tt.handler, tt.body, tt.caps)
			if res.Outcome != tt.want || res.ErrorKind != tt.kind || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("got %s/%s %q, want %s/%s %q", res.Outcome, res.ErrorKind, res.Reason, tt.want, tt.kind, tt.reason)
			}
		})
	}
}

func TestUnreachableTargetIsATargetError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	lib, err := scenario.Load(fstest.MapFS{"s.yaml": {Data: []byte(header + "steps:\n  - request: {method: GET, path: /x}\n    expect: {status: 200}\n")}}, "s")
	if err != nil {
		t.Fatal(err)
	}
	r, err := engine.New(testTarget(t, srv.URL), lib, engine.WithContract("gitlab", contract(t)))
	if err != nil {
		t.Fatal(err)
	}
	res := r.Run(context.Background(), lib.Scenarios[0])
	if res.Outcome != engine.Error || res.ErrorKind != engine.TargetError {
		t.Errorf("got %s/%s: %s", res.Outcome, res.ErrorKind, res.Reason)
	}
}

func TestPolling(t *testing.T) {
	const poll = `steps:
  - poll:
      request: {method: GET, path: /s}
      until: {json: {status: {equals: Provisioned}}}
      every: 1s
      advanceClock: 2s
      timeout: 10s
    lifecycle: {graph: gitlab.subscription, path: status}
    expect: {status: 200}
`
	states := func(seq ...string) (*recorder, *int) {
		n, advances := 0, 0
		return &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
			if r.URL.Path == "/_sandbox/clock/advance" {
				advances++
				jsonAnswer(200, `{}`)(w, r, "")
				return
			}
			s := seq[min(n, len(seq)-1)]
			n++
			jsonAnswer(200, `{"status":"`+s+`"}`)(w, r, "")
		}}, &advances
	}
	t.Run("advances the clock with control", func(t *testing.T) {
		rec, advances := states("Creating", "Created", "Provisioned")
		res := runInline(t, rec, poll, []string{"control"}, engine.WithWait(func(context.Context, time.Duration) error {
			t.Error("waited in real time although the clock can move")
			return nil
		}))
		if res.Outcome != engine.Pass || *advances != 2 || strings.Join(res.Steps[0].Observed, ",") != "Creating,Created,Provisioned" {
			t.Fatalf("%s advances=%d observed=%v", res.Message(), *advances, res.Steps[0].Observed)
		}
	})
	t.Run("waits without control", func(t *testing.T) {
		rec, _ := states("Created", "Provisioned")
		var waited time.Duration
		res := runInline(t, rec, poll, nil, engine.WithWait(func(_ context.Context, d time.Duration) error { waited += d; return nil }))
		if res.Outcome != engine.Pass || waited != time.Second {
			t.Fatalf("%s waited=%s", res.Message(), waited)
		}
	})
	t.Run("a regression fails at once", func(t *testing.T) {
		rec, _ := states("Created", "Provisioned", "Created")
		res := runInline(t, rec, strings.Replace(poll, "equals: Provisioned", "equals: Failed", 1), []string{"control"})
		if res.Outcome != engine.Fail || !strings.Contains(res.Message(), "left final state Provisioned for Created") {
			t.Fatalf("%s", res.Message())
		}
	})
	t.Run("timeout fails with what was seen", func(t *testing.T) {
		rec, _ := states("Created")
		res := runInline(t, rec, poll, []string{"control"})
		if res.Outcome != engine.Fail || !strings.Contains(res.Message(), "condition not met after 6 attempts over 10s (observed Created ×6)") {
			t.Fatalf("%s", res.Message())
		}
	})
}

func TestSecretsAreMasked(t *testing.T) {
	rec := &recorder{answer: jsonAnswer(200, `{"access_token":"leaked-token-value","echo":"secret-one"}`)}
	res := runInline(t, rec, `steps:
  - request:
      method: POST
      path: /x
      auth: {token: create}
      form: {client_secret: "${creds.create.clientSecret}"}
    expect: {json: {echo: {equals: nope}}}
`, nil)
	raw, _ := json.Marshal(res)
	for _, secret := range []string{"secret-one", "tok-c1", "leaked-token-value"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("result contains %q: %s", secret, raw)
		}
	}
	if !strings.Contains(string(raw), "Bearer ****") {
		t.Errorf("Authorization not masked as Bearer ****: %s", raw)
	}
}

func TestOpenAPIFailuresAreReported(t *testing.T) {
	rec := &recorder{answer: jsonAnswer(200, `{"externalSubscriptionId":"x","status":"Created"}`)}
	res := runInline(t, rec, "steps:\n  - request: {method: GET, path: /api/v1/marketplace/subscriptions/x}\n    expect: {openapi: true}\n", nil)
	if res.Outcome != engine.Fail || !strings.Contains(res.Message(), "openapi: ") || !strings.Contains(res.Message(), "createdAt") {
		t.Fatalf("%s", res.Message())
	}
}

// TestResultRecordsDuration: the run's duration reaches the result (it was
// once set by a deferred call after the result had been copied out).
func TestResultRecordsDuration(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
		time.Sleep(5 * time.Millisecond)
		jsonAnswer(200, `{}`)(w, r, "")
	}}
	res := runInline(t, rec, "steps:\n  - request: {method: GET, path: /x}\n    expect: {status: 200}\n", nil)
	if res.Duration < 5*time.Millisecond {
		t.Errorf("duration %s, want at least the 5ms the target took", res.Duration)
	}
}
