package engine_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// rotatingPortal issues a new token on every token request and accepts
// only the newest one, as a portal does once the older ones have expired
// on its clock.
type rotatingPortal struct {
	mu     sync.Mutex
	issued int
}

func (p *rotatingPortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/oauth/token" {
		p.issued++
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":7200}`, p.issued)
		return
	}
	if r.Header.Get("Authorization") != fmt.Sprintf("Bearer tok-%d", p.issued) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_token"}`)
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// TestTokenStepReplacesTheCachedToken proves that `auth: {token: …}`
// reuses one token per scenario (a cached token goes stale on the
// portal's clock) and that a token step gets a new one, which later
// requests then send.
func TestTokenStepReplacesTheCachedToken(t *testing.T) {
	portal := &rotatingPortal{}
	res := runInline(t, portal, `steps:
  - request: {method: GET, path: /x, auth: {token: create}}
    expect: {status: 200}
  - name: someone else takes a token (the cached one is now stale)
    token: {credential: create, scope: read}
  - request: {method: GET, path: /x, auth: {token: create}}
    expect: {status: 401}
  - name: a new token now
    token: {credential: create}
    capture: {fresh: {json: access_token}}
    expect: {json: {expires_in: {equals: 7200}}}
  - request: {method: GET, path: /x, auth: {token: create}}
    expect: {status: 200}
`, nil)
	if res.Outcome != engine.Pass {
		t.Fatalf("%s\n%s", res.Outcome, res.Message())
	}
	if portal.issued != 3 {
		t.Errorf("%d tokens issued, want 3 (first use, and two token steps)", portal.issued)
	}
	step := res.Steps[3]
	if step.Kind != "token" || len(step.Exchanges) != 1 || !strings.Contains(step.Exchanges[0].ResponseBody, `"access_token":"****"`) {
		t.Errorf("token step recorded %+v", step)
	}
}

// TestTokenStepFailsWithoutAToken proves that a token step whose answer
// holds no token fails the step with the answer, instead of leaving the
// old token in place.
func TestTokenStepFailsWithoutAToken(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":"temporarily_unavailable"}`)
	})
	res := runInline(t, h, "steps:\n  - token: {credential: second}\n", nil)
	if res.Outcome != engine.Fail || !strings.Contains(res.Message(), `could not obtain a token for credential "second"`) {
		t.Fatalf("%s\n%s", res.Outcome, res.Message())
	}
}

// TestExchangesKeepTheWireBytes proves that reports show bodies as they
// went over the wire, key order and spacing included, with only the
// secrets' values masked.
func TestExchangesKeepTheWireBytes(t *testing.T) {
	const body = `{"zeta": 1, "access_token":"s3cr3t-token-value", "alpha":[2, 1],"client_secret": "x-secret-x"}`
	res := runInline(t, &recorder{answer: jsonAnswer(200, body)}, `steps:
  - request: {method: POST, path: /x, form: {zz: "1", client_secret: "${creds.create.clientSecret}", aa: "2"}}
    expect: {status: 200}
`, nil)
	ex := res.Steps[0].Exchanges[0]
	want := `{"zeta": 1, "access_token":"****", "alpha":[2, 1],"client_secret": "****"}`
	if ex.ResponseBody != want {
		t.Errorf("response body\n got %s\nwant %s", ex.ResponseBody, want)
	}
	if strings.Contains(ex.RequestBody, "secret-one") || !strings.Contains(ex.RequestBody, "client_secret=****") {
		t.Errorf("request body %s", ex.RequestBody)
	}
}
