package sandbox_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const formType = "application/x-www-form-urlencoded"

func order(id string) string {
	return `{"externalSubscriptionId":"` + id + `","tradingPartnerId":"TP-DEMO-001","customer":{"companyName":"A","contact":{"firstName":"A","lastName":"B","email":"a@b.co"},"address":{"country":"FR"}},"orderLines":[{"productId":"duo_pro","quantity":1}]}`
}

// journal fetches GET /_sandbox/journal with query.
func journalOf(t *testing.T, srv *sandboxtest.Server, query string) answer {
	t.Helper()
	a := send(t, http.MethodGet, srv.URL+"/_sandbox/journal"+query, "")
	if a.status != 200 {
		t.Fatalf("journal%s: %d %s", query, a.status, a.raw)
	}
	return a
}

func entries(a answer) []map[string]any {
	var out []map[string]any
	list, _ := a.body["entries"].([]any)
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func TestJournalMasksEverySecret(t *testing.T) {
	srv := frozen(t)
	secrets := []string{"demo-secret", "second-secret", "readonly-secret", "zuora-callout-secret"}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-partner"}, "client_secret": {"demo-secret"}, "scope": {scopeBoth}}
	send(t, http.MethodPost, srv.URL+"/oauth/token", form.Encode(), "Content-Type", formType)
	send(t, http.MethodPost, srv.URL+"/oauth/token?client_secret=readonly-secret&client_id=readonly-partner&grant_type=client_credentials&scope=marketplace.order:read", "")
	send(t, http.MethodPost, srv.URL+"/oauth/token", `{"grant_type":"client_credentials","client_id":"second-partner","client_secret":"second-secret","scope":"marketplace.order:read"}`, "Content-Type", jsonType)
	basic := base64.StdEncoding.EncodeToString([]byte("second-partner:second-secret"))
	send(t, http.MethodPost, srv.URL+"/oauth/token", "grant_type=client_credentials&scope=marketplace.order:read", "Content-Type", formType, "Authorization", "Basic "+basic)
	tok := token(t, srv, "demo-partner", "demo-secret")
	secrets = append(secrets, tok, basic, base64.StdEncoding.EncodeToString([]byte("zuora:zuora-callout-secret")))
	if a := send(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", order("m1"), "Content-Type", jsonType, "Authorization", "Bearer "+tok); a.status != 201 {
		t.Fatalf("create %d %s", a.status, a.raw)
	}
	srv.Advance(2e9) // the callout: first unauthenticated, then with Basic credentials
	getStatus(t, srv, tok, "m1")

	all := journalOf(t, srv, "?limit=1000")
	for _, e := range entries(all) {
		one := send(t, http.MethodGet, fmt.Sprintf("%s/_sandbox/journal/%v", srv.URL, e["id"]), "")
		for _, s := range secrets {
			if strings.Contains(all.raw, s) || strings.Contains(one.raw, s) {
				t.Errorf("secret %q in the journal: %s", s, one.raw)
			}
		}
	}
	if t.Failed() {
		return
	}
	callouts := entries(journalOf(t, srv, "?path=/zuora/callouts"))
	if len(callouts) != 2 || callouts[0]["status"] != 401.0 || callouts[1]["status"] != 200.0 || len(callouts[1]["correlationIds"].([]any)) != 2 {
		t.Errorf("callouts %v", callouts)
	}
	// The fake Zuora calls the sandbox itself: each callout request is
	// journaled once, as the portal received it, never also as outbound.
	if out := entries(journalOf(t, srv, "?direction=outbound")); len(out) != 0 {
		t.Errorf("callouts journaled twice, also as outbound: %v", out)
	}
	tokens := entries(journalOf(t, srv, "?path=/oauth/token&status=200"))
	for _, e := range tokens {
		if e["partner"] == nil || e["client"] == nil || !strings.Contains(e["response"].(map[string]any)["body"].(string), `"access_token":"****"`) {
			t.Errorf("token entry %v", e)
		}
	}
	if len(tokens) != 5 {
		t.Errorf("%d successful token requests journaled", len(tokens))
	}
	auth := entries(journalOf(t, srv, "?method=GET"))[0]["request"].(map[string]any)["headers"].(map[string]any)["Authorization"]
	if fmt.Sprint(auth) != "[Bearer ****]" {
		t.Errorf("Authorization %v", auth)
	}
}

func TestJournalQueries(t *testing.T) {
	srv := frozen(t)
	demo, second := token(t, srv, "demo-partner", "demo-secret"), token(t, srv, "second-partner", "second-secret")
	send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`)
	getStatus(t, srv, demo, "a")
	seen := getStatus(t, srv, second, "b")
	send(t, http.MethodDelete, srv.URL+"/oauth/token", "")
	send(t, http.MethodGet, srv.URL+"/nope", "", "Zuora-Request-Id", "zr-1")
	cases := []struct {
		query string
		want  int
	}{
		{"", 6},
		{"?partner=demo-partner", 2},
		{"?client=second-partner", 2},
		{"?method=get", 3},
		{"?path=" + statusRoute, 2},
		{"?path=/oauth/token", 3},
		{"?status=404", 3},
		{"?status=4xx", 4},
		{"?status=2xx", 2},
		{"?status=0", 0},
		{"?since=2030-01-01T01:00:00Z", 4},
		{"?until=2030-01-01T01:00:00Z", 2},
		{"?requestId=" + seen.header.Get("X-Request-Id"), 1},
		{"?correlationId=zr-1", 1},
		{"?fault=r1", 0},
		{"?limit=2", 2},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			a := journalOf(t, srv, tc.query)
			if got := len(entries(a)); got != tc.want {
				t.Errorf("%d entries, want %d: %s", got, tc.want, a.raw)
			}
		})
	}
	last := entries(journalOf(t, srv, "?limit=2"))
	if last[0]["id"].(float64) >= last[1]["id"].(float64) || last[1]["path"] != "/nope" {
		t.Errorf("limit keeps the newest, oldest first: %v", last)
	}
	for _, bad := range []string{"?status=abc", "?status=6xx", "?status=42", "?since=yesterday", "?until=1", "?limit=0", "?limit=1001", "?limit=x", "?path=nope", "?colour=red", "?partner=a&partner=b"} {
		if a := send(t, http.MethodGet, srv.URL+"/_sandbox/journal"+bad, ""); a.status != 400 || a.body["error_description"] == "" {
			t.Errorf("%s: %d %s", bad, a.status, a.raw)
		}
	}
	for path, want := range map[string]int{"/_sandbox/journal/99999": 404, "/_sandbox/journal/x": 400, "/_sandbox/journal/1": 200} {
		if a := send(t, http.MethodGet, srv.URL+path, ""); a.status != want {
			t.Errorf("%s: %d %s", path, a.status, a.raw)
		}
	}
	if a := send(t, http.MethodDelete, srv.URL+"/_sandbox/journal", ""); a.status != 204 || len(entries(journalOf(t, srv, ""))) != 0 {
		t.Errorf("clear: %d", a.status)
	}
}

func TestJournalStaysWithinItsBounds(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Journal.MaxEntries = 5 }))
		for range 20 {
			send(t, http.MethodGet, srv.URL+"/nope", "")
		}
		a := journalOf(t, srv, "")
		if len(entries(a)) != 5 || a.body["dropped"] != 15.0 || entries(a)[0]["id"] != 16.0 {
			t.Errorf("%s", a.raw)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Journal.MaxBytes = 64 << 10; c.Journal.BodyBytes = 8 << 10 }))
		body := strings.Repeat("x", 20<<10)
		for range 40 {
			send(t, http.MethodPost, srv.URL+"/nope", body)
		}
		a := journalOf(t, srv, "?limit=1000")
		n := len(entries(a))
		if a.body["bytes"].(float64) > 64<<10 || n < 3 || n > 8 || a.body["dropped"].(float64) != float64(40-n) {
			t.Errorf("%d entries, %v bytes, %v dropped", n, a.body["bytes"], a.body["dropped"])
		}
		req := entries(a)[0]["request"].(map[string]any)
		if len(req["body"].(string)) != 8<<10 || req["truncated"] != true || req["bodyBytes"] != float64(20<<10) {
			t.Errorf("request body kept %d bytes of %v", len(req["body"].(string)), req["bodyBytes"])
		}
	})
}

func TestJournalNamesTheFaultThatFired(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"cut","match":{"path":"/oauth/token"},"effect":{"transport":"reset","latency":{"fixed":"1ms"}}}`)
	addRule(t, srv, `{"id":"busy","match":{"path":"/api/v1/nope"},"effect":{"status":503}}`)
	_, _ = trySend(http.MethodPost, srv.URL+"/oauth/token", "")
	send(t, http.MethodGet, srv.URL+"/api/v1/nope", "")
	// The reset reaches the client before the server has journaled it:
	// the entry comes when the handler returns, so wait for it.
	got := entries(journalOf(t, srv, ""))
	for deadline := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		got = entries(journalOf(t, srv, ""))
	}
	if len(got) != 2 {
		t.Fatalf("%v", got)
	}
	// Entries are journaled as their requests end: the reset's may come
	// second.
	if got[0]["path"] != "/oauth/token" {
		got[0], got[1] = got[1], got[0]
	}
	if f := got[0]["fault"].(map[string]any); got[0]["status"] != 0.0 || f["rule"] != "cut" || f["effect"] != "latency 1ms + reset" {
		t.Errorf("reset entry %v", got[0])
	}
	if f := got[1]["fault"].(map[string]any); got[1]["status"] != 503.0 || f["rule"] != "busy" || f["effect"] != "status 503" {
		t.Errorf("status entry %v", got[1])
	}
	if n := len(entries(journalOf(t, srv, "?fault=busy"))); n != 1 {
		t.Errorf("?fault=busy: %d", n)
	}
}

func TestControlRequestsAreJournaledOnlyWhenAsked(t *testing.T) {
	quiet := frozen(t)
	send(t, http.MethodGet, quiet.URL+"/_sandbox/clock", "")
	if n := len(entries(journalOf(t, quiet, ""))); n != 0 {
		t.Errorf("control requests journaled by default: %d", n)
	}
	loud := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Journal.Control = true }))
	send(t, http.MethodGet, loud.URL+"/_sandbox/gitlab/fixtures", "")
	a := journalOf(t, loud, "?path=/_sandbox/gitlab/**")
	if got := entries(a); len(got) != 1 || got[0]["api"] != "sandbox" || strings.Contains(a.raw, "demo-secret") {
		t.Errorf("%s", a.raw)
	}
}

func TestHungAndEmptiedRequestsAreJournaled(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"stall","match":{"path":"/api/v1/hang"},"effect":{"transport":"hang"}}`)
	addRule(t, srv, `{"id":"drop","match":{"path":"/api/v1/empty"},"effect":{"transport":"empty"}}`)
	quick := &http.Client{Timeout: 100 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, path := range []string{"/api/v1/hang", "/api/v1/empty"} {
		if resp, err := quick.Get(srv.URL + path); err == nil {
			resp.Body.Close()
			t.Errorf("%s answered %d", path, resp.StatusCode)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got := entries(journalOf(t, srv, "?status=0"))
		if len(got) == 2 {
			for _, e := range got {
				f := e["fault"].(map[string]any)
				if want := map[string]string{"/api/v1/hang": "hang", "/api/v1/empty": "empty"}[e["path"].(string)]; f["effect"] != want {
					t.Errorf("entry %v", e)
				}
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("journal: %s", journalOf(t, srv, "").raw)
}

// TestJournalNamesWhoSentEachRequest covers both ways an entry learns its
// partner: from the handler that authenticated the request, and, where
// none did (a rejected token request, an expired token, a fault that
// answered first, an unrouted path), from the credentials themselves.
func TestJournalNamesWhoSentEachRequest(t *testing.T) {
	srv := frozen(t)
	demo := token(t, srv, "demo-partner", "demo-secret")
	second := token(t, srv, "second-partner", "second-secret")
	basic := base64.StdEncoding.EncodeToString([]byte("second-partner:wrong"))
	send(t, http.MethodPost, srv.URL+"/oauth/token", "grant_type=client_credentials&client_id=readonly-partner&client_secret=wrong&scope=x", "Content-Type", formType)
	send(t, http.MethodPost, srv.URL+"/oauth/token", "grant_type=client_credentials", "Content-Type", formType, "Authorization", "Basic "+basic)
	send(t, http.MethodPost, srv.URL+"/oauth/token", `{"client_id":"demo-partner"}`, "Content-Type", "text/plain")
	getStatus(t, srv, second, "s1")
	send(t, http.MethodGet, srv.URL+"/api/v1/nowhere", "", "Authorization", "Bearer "+demo)
	addRule(t, srv, `{"id":"down","match":{"method":"GET"},"effect":{"status":503}}`)
	getStatus(t, srv, demo, "s2")
	send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
	send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"3h"}`)
	getStatus(t, srv, second, "s3") // the token has expired

	got := []string{}
	for _, e := range entries(journalOf(t, srv, "?limit=1000"))[2:] {
		got = append(got, fmt.Sprintf("%v %v %v/%v", e["status"], e["path"], e["partner"], e["client"]))
	}
	want := []string{
		"401 /oauth/token readonly-partner/readonly-partner",
		"401 /oauth/token second-partner/second-partner",
		"400 /oauth/token <nil>/<nil>", // neither a form nor JSON: no credentials are read from it
		"404 /api/v1/marketplace/subscriptions/s1 second-partner/second-partner",
		"404 /api/v1/nowhere demo-partner/demo-partner",
		"503 /api/v1/marketplace/subscriptions/s2 demo-partner/demo-partner",
		"401 /api/v1/marketplace/subscriptions/s3 second-partner/second-partner",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
