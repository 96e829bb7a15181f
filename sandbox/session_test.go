package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// call sends a request with an optional bearer token and JSON body and
// decodes the answer.
func call(t testing.TB, method, u, bearer string, body any) answer {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// openSession opens a session and returns its 201 body.
func openSession(t testing.TB, base string, req map[string]any) map[string]any {
	t.Helper()
	a := call(t, http.MethodPost, base+"/_sandbox/sessions", "", req)
	if a.status != http.StatusCreated {
		t.Fatalf("POST /_sandbox/sessions %v: %d %s", req, a.status, a.raw)
	}
	return a.body
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		v = v.(map[string]any)[p]
	}
	s, _ := v.(string)
	return s
}

// gitlabSessionToken gets a token with the session's credentials at the
// sandbox's root, as the partner's client does.
func gitlabSessionToken(t testing.TB, base string, sess map[string]any) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {str(sess, "credentials", "clientId")},
		"client_secret": {str(sess, "credentials", "clientSecret")}, "scope": {"marketplace.order:create marketplace.order:read"}}
	resp, err := http.PostForm(base+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("session token: %d %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

func gitlabOrder(id, tradingPartner string) map[string]any {
	return map[string]any{
		"externalSubscriptionId": id, "tradingPartnerId": tradingPartner,
		"customer": map[string]any{"companyName": "Example Corp",
			"contact": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
			"address": map[string]any{"country": "GB"}},
		"orderLines": []any{map[string]any{"quantity": 1, "productId": "2c92a00d76f0d5060176f2fb0a5029ff"}},
	}
}

// TestAGitLabSessionIsAWorkspaceOfItsOwn: a session's partner orders at
// the sandbox's root with its own credentials; its clock, journal and
// orders are its own, the default workspace and another session see none
// of it, and ending it makes its token unknown.
func TestAGitLabSessionIsAWorkspaceOfItsOwn(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	defaultNow := srv.Sandbox.Clock().Now()
	one := openSession(t, srv.URL, map[string]any{"api": "gitlab", "clock": "frozen"})
	other := openSession(t, srv.URL, map[string]any{"api": "gitlab", "clock": "frozen"})
	token := gitlabSessionToken(t, srv.URL, one)
	if !strings.HasPrefix(token, str(one, "id")) || len(token) != 43 {
		t.Fatalf("session token %q: want 43 characters starting with the session id", token)
	}
	orders := srv.URL + "/api/v1/marketplace/subscriptions"
	if a := call(t, http.MethodPost, orders, token, gitlabOrder("iso-1", str(one, "credentials", "tradingPartnerId"))); a.status != http.StatusCreated {
		t.Fatalf("create in the session: %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodPost, str(one, "controlUrl")+"/clock/advance", "", map[string]any{"by": "10m"}); a.status != http.StatusOK {
		t.Fatalf("advancing the session's clock: %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodGet, orders+"/iso-1", token, nil); a.body["status"] != "Provisioned" {
		t.Fatalf("the order after the session's clock moved: %s", a.raw)
	}

	if got := srv.Sandbox.Clock().Now(); !got.Equal(defaultNow) {
		t.Errorf("the default workspace's clock moved to %s", got)
	}
	if a := call(t, http.MethodGet, srv.URL+"/_sandbox/journal", "", nil); a.body["total"] != 0.0 {
		t.Errorf("the default workspace journaled the session's traffic: %s", a.raw)
	}
	demo, err := srv.Token("demo-partner", "demo-secret", "marketplace.order:read")
	if err != nil {
		t.Fatal(err)
	}
	if a := call(t, http.MethodGet, orders+"/iso-1", demo, nil); a.status != http.StatusNotFound {
		t.Errorf("the default workspace's partner reads the session's order: %d", a.status)
	}
	otherToken := gitlabSessionToken(t, srv.URL, other)
	if a := call(t, http.MethodGet, orders+"/iso-1", otherToken, nil); a.status != http.StatusNotFound {
		t.Errorf("another session reads the order: %d", a.status)
	}
	if a := call(t, http.MethodGet, str(other, "controlUrl")+"/journal", "", nil); strings.Contains(a.raw, str(one, "id")) || strings.Contains(a.raw, `"status":201`) {
		t.Errorf("another session's journal shows the first one's traffic: %s", a.raw)
	}
	// The header reaches the same control API as the prefix.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_sandbox/clock", nil)
	req.Header.Set("X-Sandbox-Session", str(one, "id"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var clk struct{ Now time.Time }
	_ = json.NewDecoder(resp.Body).Decode(&clk)
	resp.Body.Close()
	created, _ := time.Parse(time.RFC3339Nano, str(one, "createdAt"))
	if want := created.Add(10*time.Minute - time.Second); clk.Now.Before(want) {
		t.Errorf("X-Sandbox-Session clock %s, want the session's (at least %s)", clk.Now, want)
	}

	if a := call(t, http.MethodDelete, srv.URL+"/_sandbox/sessions/"+str(one, "id"), "", nil); a.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodGet, orders+"/iso-1", token, nil); a.status != http.StatusUnauthorized {
		t.Errorf("the ended session's token: %d, want 401", a.status)
	}
	if a := call(t, http.MethodGet, str(one, "controlUrl")+"/clock", "", nil); a.status != http.StatusNotFound {
		t.Errorf("the ended session's control API: %d, want 404", a.status)
	}
}

// TestAMicrosoftSessionHasItsOwnPublisher: a session's publisher gets its
// Entra token at its own tenant, buys through the session's control API,
// resolves and activates at the root, and receives the webhooks on the
// session's own sample publisher; the default publishers never see it.
func TestAMicrosoftSessionHasItsOwnPublisher(t *testing.T) {
	srv := sandboxtest.New(t)
	sess := openSession(t, srv.URL, map[string]any{"api": "microsoft"})
	cred := sess["credentials"].(map[string]any)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cred["clientId"].(string)},
		"client_secret": {cred["clientSecret"].(string)}, "scope": {cred["scope"].(string)}}
	resp, err := http.PostForm(cred["tokenUrl"].(string), form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("session token: %d", resp.StatusCode)
	}
	env := sess["env"].(map[string]any)
	bought := call(t, http.MethodPost, str(sess, "controlUrl")+"/microsoft/purchases", "",
		map[string]any{"offerId": env["MARKETPLACE_OFFER_ID"], "planId": env["MARKETPLACE_PLAN_ID"]})
	if bought.status != http.StatusCreated {
		t.Fatalf("purchase in the session: %d %s", bought.status, bought.raw)
	}
	if landing := bought.body["landingPageUrl"].(string); !strings.HasPrefix(landing, str(sess, "prefixUrl")) {
		t.Errorf("landing page %s is not the session's", landing)
	}
	token, _ := url.QueryUnescape(bought.body["token"].(string))
	api := srv.URL + "/api/saas/subscriptions/"
	req, _ := http.NewRequest(http.MethodPost, api+"resolve?api-version=2018-08-31", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("x-ms-marketplace-token", token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resolve at the root: %d", resp.StatusCode)
	}
	sub := bought.body["subscriptionId"].(string)
	if a := call(t, http.MethodPost, api+sub+"/activate?api-version=2018-08-31", tok.AccessToken,
		map[string]any{"planId": env["MARKETPLACE_PLAN_ID"]}); a.status != http.StatusOK {
		t.Fatalf("activate: %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/subscriptions/"+sub, "", nil); a.status != http.StatusNotFound {
		t.Errorf("the default workspace knows the session's subscription: %d", a.status)
	}
	if a := call(t, http.MethodPost, str(sess, "controlUrl")+"/microsoft/subscriptions/"+sub+"/events", "",
		map[string]any{"action": "Suspend"}); a.status >= 300 {
		t.Fatalf("a marketplace-side event in the session: %d %s", a.status, a.raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := call(t, http.MethodGet, str(sess, "controlUrl")+"/microsoft/sample/webhooks", "", nil)
		if strings.Contains(a.raw, sub) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session's sample publisher got no webhook for %s: %s", sub, a.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSessionsRefuseBadRequests: every mistake in opening, reading or
// ending a session is a 4xx naming it.
func TestSessionsRefuseBadRequests(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Sessions.Max = 2 }))
	sessions := srv.URL + "/_sandbox/sessions"
	for _, tc := range []struct {
		name, method, url, body string
		status                  int
		says                    string
	}{
		{"no body", "POST", sessions, "", 400, "api"},
		{"no api", "POST", sessions, `{}`, 400, "api is required"},
		{"unknown api", "POST", sessions, `{"api":"aws"}`, 400, "aws"},
		{"unknown field", "POST", sessions, `{"api":"gitlab","clok":"frozen"}`, 400, "clok"},
		{"bad clock", "POST", sessions, `{"api":"gitlab","clock":"slow"}`, 400, "slow"},
		{"negative seed", "POST", sessions, `{"api":"gitlab","seed":-1}`, 400, "seed"},
		{"seed as text", "POST", sessions, `{"api":"gitlab","seed":"7"}`, 400, "seed"},
		{"webhook for gitlab", "POST", sessions, `{"api":"gitlab","webhookUrl":"http://x"}`, 400, "Microsoft"},
		{"unknown suite", "POST", sessions, `{"api":"gitlab","suite":"nope"}`, 400, "nope"},
		{"not JSON", "POST", sessions, `api=gitlab`, 400, ""},
		{"query on create", "POST", sessions + "?api=gitlab", `{"api":"gitlab"}`, 400, "query"},
		{"unknown session", "GET", sessions + "/s00000000000", "", 404, "s00000000000"},
		{"garbage id", "DELETE", sessions + "/../../x", "", 404, ""},
		{"unknown prefix", "GET", sessions + "/s00000000000/_sandbox/clock", "", 404, "s00000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			a := call(t, tc.method, tc.url, "", body)
			if a.status != tc.status || !strings.Contains(strings.ToLower(a.raw), strings.ToLower(tc.says)) {
				t.Errorf("%s %s %s: %d %s, want %d saying %q", tc.method, tc.url, tc.body, a.status, a.raw, tc.status, tc.says)
			}
		})
	}
	t.Run("the limit", func(t *testing.T) {
		openSession(t, srv.URL, map[string]any{"api": "gitlab"})
		openSession(t, srv.URL, map[string]any{"api": "microsoft"})
		a := call(t, http.MethodPost, sessions, "", map[string]any{"api": "gitlab"})
		if a.status != http.StatusConflict || !strings.Contains(a.raw, "sessions.max") {
			t.Errorf("a third session with sessions.max 2: %d %s", a.status, a.raw)
		}
	})
	t.Run("no sessions inside a session", func(t *testing.T) {
		list := call(t, http.MethodGet, sessions, "", nil)
		first := list.body["sessions"].([]any)[0].(map[string]any)
		a := call(t, http.MethodPost, str(first, "controlUrl")+"/sessions", "", map[string]any{"api": "gitlab"})
		if a.status != http.StatusConflict {
			t.Errorf("a session opening a session: %d %s", a.status, a.raw)
		}
	})
}

// TestTwentySessionsInParallelSeeOnlyTheirOwn: twenty CI jobs share one
// sandbox, each in its session: each injects its own fault, advances its
// own frozen clock and provisions its own orders; none sees another's
// order, fault or journal entry (run with -race).
func TestTwentySessionsInParallelSeeOnlyTheirOwn(t *testing.T) {
	srv := sandboxtest.New(t)
	const jobs = 20
	var wg sync.WaitGroup
	errs := make(chan error, jobs)
	for j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sessionJob(t, srv.URL, j)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if a := call(t, http.MethodGet, srv.URL+"/_sandbox/faults", "", nil); strings.Contains(a.raw, "job-") {
		t.Errorf("the default workspace holds a session's fault rule: %s", a.raw)
	}
}

func sessionJob(t testing.TB, base string, j int) error {
	sess := openSession(t, base, map[string]any{"api": "gitlab", "clock": "frozen", "seed": j + 1})
	control := str(sess, "controlUrl")
	rule := map[string]any{"id": fmt.Sprintf("job-%d", j), "match": map[string]any{"method": "GET"},
		"effect": map[string]any{"status": 503}, "schedule": map[string]any{"times": 1}}
	if a := call(t, http.MethodPost, control+"/faults", "", rule); a.status != http.StatusCreated {
		return fmt.Errorf("job %d: fault rule: %d %s", j, a.status, a.raw)
	}
	token := gitlabSessionToken(t, base, sess)
	orders := base + "/api/v1/marketplace/subscriptions"
	own := fmt.Sprintf("order-%d", j)
	if a := call(t, http.MethodPost, orders, token, gitlabOrder(own, str(sess, "credentials", "tradingPartnerId"))); a.status != http.StatusCreated {
		return fmt.Errorf("job %d: create: %d %s", j, a.status, a.raw)
	}
	if a := call(t, http.MethodGet, orders+"/"+own, token, nil); a.status != http.StatusServiceUnavailable {
		return fmt.Errorf("job %d: its own fault did not fire on its first read: %d", j, a.status)
	}
	call(t, http.MethodPost, control+"/clock/advance", "", map[string]any{"by": fmt.Sprintf("%dm", 10+j)})
	if a := call(t, http.MethodGet, orders+"/"+own, token, nil); a.body["status"] != "Provisioned" {
		return fmt.Errorf("job %d: %s", j, a.raw)
	}
	for k := range 20 {
		if k != j {
			if a := call(t, http.MethodGet, orders+fmt.Sprintf("/order-%d", k), token, nil); a.status != http.StatusNotFound {
				return fmt.Errorf("job %d sees order-%d: %d", j, k, a.status)
			}
		}
	}
	journal := call(t, http.MethodGet, control+"/journal?limit=1000", "", nil)
	client := str(sess, "credentials", "clientId")
	for _, e := range journal.body["entries"].([]any) {
		if c := e.(map[string]any)["client"]; c != nil && c != client {
			return fmt.Errorf("job %d journaled another client's request: %v", j, e)
		}
	}
	faults := call(t, http.MethodGet, control+"/faults", "", nil)
	if strings.Count(faults.raw, `"id":"job-`) != 1 || !strings.Contains(faults.raw, fmt.Sprintf(`"id":"job-%d"`, j)) {
		return fmt.Errorf("job %d's fault rules: %s", j, faults.raw)
	}
	clk := call(t, http.MethodGet, control+"/clock", "", nil)
	created, _ := time.Parse(time.RFC3339Nano, str(sess, "createdAt"))
	now, _ := time.Parse(time.RFC3339Nano, str(clk.body, "now"))
	if moved := now.Sub(created); moved != time.Duration(10+j)*time.Minute {
		return fmt.Errorf("job %d: its clock moved %s, want its own %dm", j, moved, 10+j)
	}
	if a := call(t, http.MethodDelete, base+"/_sandbox/sessions/"+str(sess, "id"), "", nil); a.status != http.StatusNoContent {
		return fmt.Errorf("job %d: end: %d", j, a.status)
	}
	return nil
}
