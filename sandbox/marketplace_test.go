package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// TestARuleWithoutAPathSparesZuorasCallouts is the regression test of a
// defect of the single-marketplace sandbox: a fault rule matching every
// request (no path) also broke the fake Zuora's callout into the portal,
// so an order a partner created before the rule never provisioned.
// Internal traffic is faulted only by a rule that names its path.
func TestARuleWithoutAPathSparesZuorasCallouts(t *testing.T) {
	for _, rule := range []string{
		`{"id":"all","effect":{"status":503}}`,
		`{"id":"all","api":"gitlab","match":{"method":"POST"},"effect":{"status":503}}`,
		`{"id":"all","match":{"path":"/**"},"effect":{"transport":"reset"}}`,
		`{"id":"all","match":{"path":"/*/callouts"},"effect":{"status":500}}`,
	} {
		t.Run(rule, func(t *testing.T) {
			srv := frozen(t)
			tok := token(t, srv, "demo-partner", "demo-secret")
			if a := send(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", order("internal-1"),
				"Authorization", "Bearer "+tok, "Content-Type", jsonType); a.status != http.StatusCreated {
				t.Fatalf("create: %d %s", a.status, a.raw)
			}
			addRule(t, srv, rule)
			if a := send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`, "Content-Type", jsonType); a.status != 200 {
				t.Fatalf("advance: %d %s", a.status, a.raw)
			}
			a := send(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions", "")
			if !strings.Contains(a.raw, `"status":"Provisioned"`) {
				t.Errorf("the order did not provision with rule %s: %s", rule, a.raw)
			}
			if rule := send(t, http.MethodGet, srv.URL+"/_sandbox/faults/all", ""); rule.body["hits"] != 0.0 {
				t.Errorf("the rule fired on internal traffic: %s", rule.raw)
			}
		})
	}
}

// TestARuleNamingTheCalloutPathStillFaultsIt: a rule whose path names the
// callout endpoint is how a test breaks Zuora's deliveries on purpose.
func TestARuleNamingTheCalloutPathStillFaultsIt(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"cut","match":{"path":"/zuora/callouts"},"effect":{"status":503}}`)
	tok := token(t, srv, "demo-partner", "demo-secret")
	send(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", order("internal-2"),
		"Authorization", "Bearer "+tok, "Content-Type", jsonType)
	send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1m"}`, "Content-Type", jsonType)
	if rule := send(t, http.MethodGet, srv.URL+"/_sandbox/faults/cut", ""); rule.body["hits"] == 0.0 {
		t.Errorf("the rule naming /zuora/callouts never fired: %s", rule.raw)
	}
}

// TestPathsNoMarketplaceOwnsAreTheSandboxs: a path outside every served
// marketplace's prefixes is answered 404 in the sandbox's own envelope,
// naming what it serves; no fault rule fires on it; the journal files it
// under "none".
func TestPathsNoMarketplaceOwnsAreTheSandboxs(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"any","effect":{"status":503}}`)
	for _, path := range []string{"/", "/nope", "/api", "/api/v2/x", "/oauthx"} {
		a := send(t, http.MethodGet, srv.URL+path, "")
		if a.status != 404 || a.body["error"] != "not_found" || !strings.Contains(a.body["error_description"].(string), "serves gitlab") ||
			a.body["request_id"] != a.header.Get("X-Request-Id") {
			t.Errorf("%s: %d %s", path, a.status, a.raw)
		}
	}
	// A path under a marketplace's prefix is that marketplace's, faults included.
	if a := send(t, http.MethodGet, srv.URL+"/api/v1/unknown", ""); a.status != 503 {
		t.Errorf("/api/v1/unknown: %d %s", a.status, a.raw)
	}
	got := entries(journalOf(t, srv, "?path=/nope"))
	if len(got) != 1 || got[0]["api"] != "none" {
		t.Errorf("journal of /nope: %v", got)
	}
}

// TestSandboxDescribesWhatItServes: GET /_sandbox is the discovery
// document tools read.
func TestSandboxDescribesWhatItServes(t *testing.T) {
	srv := frozen(t)
	a := send(t, http.MethodGet, srv.URL+"/_sandbox", "")
	markets, _ := a.body["marketplaces"].(map[string]any)
	gitlab, _ := markets["gitlab"].(map[string]any)
	if a.status != 200 || gitlab == nil || gitlab["tokenUrl"] != srv.URL+"/oauth/token" ||
		gitlab["fixtures"] != srv.URL+"/_sandbox/gitlab/fixtures" || a.body["clock"] == nil {
		t.Errorf("%d %s", a.status, a.raw)
	}
	if a := send(t, http.MethodGet, srv.URL+"/_sandbox?x=1", ""); a.status != 400 {
		t.Errorf("a query parameter: %d %s", a.status, a.raw)
	}
}

// TestMarketplacesSetting: the marketplaces served are a setting; a name
// the sandbox does not know, a repeat or an empty list is refused.
func TestMarketplacesSetting(t *testing.T) {
	for name, c := range map[string]struct {
		list []string
		want string
	}{
		"unknown":  {[]string{"gitlab", "gitlub"}, `marketplaces[1]: "gitlub" is not a marketplace`},
		"repeated": {[]string{"gitlab", "gitlab"}, `marketplaces[1]: "gitlab" is named twice`},
		"empty":    {nil, "marketplaces: name at least one"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			cfg.Marketplaces = c.list
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestMicrosoftFixturesShowCallableURLs: the fixtures route shows each
// publisher's webhook and landing-page URLs as a client can call them,
// the sample publisher's resolved against the sandbox's URL.
func TestMicrosoftFixturesShowCallableURLs(t *testing.T) {
	srv := frozen(t)
	a := send(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/fixtures", "")
	pubs, _ := a.body["publishers"].([]any)
	if len(pubs) == 0 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	p := pubs[0].(map[string]any)
	if p["webhookUrl"] != srv.URL+"/_sandbox/microsoft/sample/webhook" || p["landingPageUrl"] != srv.URL+"/_sandbox/microsoft/sample/landing" {
		t.Errorf("publisher %v", p)
	}
}

// TestJournalAPIFilterNamesOnlyWhatIsServed: a misspelt api filter is a
// 400 naming the known ones, not an empty listing.
func TestJournalAPIFilterNamesOnlyWhatIsServed(t *testing.T) {
	srv := frozen(t)
	if a := send(t, http.MethodGet, srv.URL+"/_sandbox/journal?api=gitlub", ""); a.status != 400 ||
		!strings.Contains(a.raw, "gitlab, microsoft, sandbox, none") {
		t.Errorf("%d %s", a.status, a.raw)
	}
	if a := send(t, http.MethodGet, srv.URL+"/_sandbox/journal?api=microsoft", ""); a.status != 200 {
		t.Errorf("%d %s", a.status, a.raw)
	}
}
