package microsoft_test

import (
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFixturesAndPublishers: the fixtures route shows the publishers as
// they are now; PATCH changes their URLs; reset restores them.
func TestFixturesAndPublishers(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/_sandbox/microsoft/fixtures", nil, nil)
	pubs := r.body["publishers"].([]any)
	p0 := pubs[0].(map[string]any)
	for _, k := range []string{"id", "tenantId", "clientId", "clientSecret", "webhookUrl", "landingPageUrl"} {
		if p0[k] == nil {
			t.Errorf("publisher lacks %s: %v", k, p0)
		}
	}
	plan := r.body["offers"].([]any)[0].(map[string]any)["plans"].([]any)[0].(map[string]any)
	if plan["planId"] == nil || plan["planComponents"].(map[string]any)["meteringDimensions"] == nil {
		t.Fatalf("%v", plan)
	}
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"unknown publisher", "nobody", map[string]any{"webhookUrl": "https://x.example/"}, 404},
		{"relative URL", "contoso", map[string]any{"webhookUrl": "hook"}, 422},
		{"unknown field", "contoso", map[string]any{"webhook": "https://x.example/"}, 422},
		{"number", "contoso", map[string]any{"landingPageUrl": 5}, 422},
		{"not JSON", "contoso", "{", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/"+tc.path, nil, tc.body); r.status != tc.status || r.body["error_description"] == nil {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	r = e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", nil, map[string]any{"landingPageUrl": "https://contoso.example/landing"})
	if r.status != 200 || r.body["landingPageUrl"] != "https://contoso.example/landing" || r.body["webhookUrl"] != "/_sandbox/microsoft/sample/webhook" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"})
	if !strings.HasPrefix(p.body["landingPageUrl"].(string), "https://contoso.example/landing?token=") {
		t.Fatalf("%s", p.raw)
	}
	e.m.Reset()
	r = e.do(http.MethodGet, "/_sandbox/microsoft/fixtures", nil, nil)
	if r.body["publishers"].([]any)[0].(map[string]any)["landingPageUrl"] != e.srv.URL+"/_sandbox/microsoft/sample/landing" {
		t.Fatalf("reset kept the patched URL: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions", nil, nil); len(r.body["subscriptions"].([]any)) != 0 {
		t.Fatalf("reset kept subscriptions: %s", r.raw)
	}
}

// TestPurchaseValidation: 422 lists every bad field at once.
func TestPurchaseValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		body   any
		fields []string
	}{
		{"nothing", map[string]any{}, []string{"offerId"}},
		{"unknown offer", map[string]any{"offerId": "x", "planId": "y"}, []string{"offerId"}},
		{"unknown plan", map[string]any{"offerId": "contoso-analytics", "planId": "y"}, []string{"planId"}},
		{"every bad field", map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 1000, "termUnit": "P3Y",
			"isFreeTrial": true, "publisherId": "fabrikam", "purchaser": map[string]any{"emailId": "nope", "objectId": "x"}, "nme": "x"},
			[]string{"isFreeTrial", "nme", "publisherId", "purchaser.emailId", "purchaser.objectId", "quantity", "termUnit"}},
		{"wrong types", map[string]any{"offerId": 1, "quantity": "2", "autoRenew": "yes", "beneficiary": "me"}, []string{"autoRenew", "beneficiary", "offerId", "quantity"}},
		{"quantity of a flat plan", map[string]any{"offerId": "contoso-analytics", "planId": "basic", "quantity": 2}, []string{"quantity"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", nil, tc.body)
			if r.status != 422 || r.body["error"] != "validation_failed" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			var got []string
			for _, f := range r.body["errors"].([]any) {
				got = append(got, f.(map[string]any)["field"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v (%s)", got, tc.fields, r.raw)
			}
		})
	}
	for name, body := range map[string]string{"malformed": "{", "repeated key": `{"offerId":"a","offerId":"b"}`, "array": "[]"} {
		t.Run(name, func(t *testing.T) {
			if r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", nil, body); r.status != 400 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("a full purchase", func(t *testing.T) {
		p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 10, "termUnit": "P1Y",
			"autoRenew": false, "isTest": true, "csp": true, "name": "Contoso for Adatum",
			"beneficiary": map[string]any{"emailId": "ben@adatum.example", "tenantId": "11111111-2222-4333-8444-555555555555"}})
		s := e.sub(p.body["subscriptionId"].(string))
		if s["name"] != "Contoso for Adatum" || s["sandboxType"] != "Csp" || s["isTest"] != true || s["term"].(map[string]any)["termUnit"] != "P1Y" ||
			s["beneficiary"].(map[string]any)["emailId"] != "ben@adatum.example" || s["purchaser"].(map[string]any)["emailId"] != "ben@adatum.example" {
			t.Fatalf("%v", s)
		}
	})
}

// TestControlViews: subscriptions with their timeline, filtered by
// publisher; webhooks filtered by subscription; events' 422s.
func TestControlViews(t *testing.T) {
	e := newEnv(t)
	a := e.subscribed("basic", nil)
	e.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"})
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions?publisherId=contoso", nil, nil); len(r.body["subscriptions"].([]any)) != 1 {
		t.Fatalf("%s", r.raw)
	}
	for _, path := range []string{"/_sandbox/microsoft/subscriptions?publisherId=nobody", "/_sandbox/microsoft/subscriptions?x=1", "/_sandbox/microsoft/webhooks?x=1"} {
		if r := e.do(http.MethodGet, path, nil, nil); r.status != 400 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions/nope", nil, nil); r.status != 404 {
		t.Fatalf("%d", r.status)
	}
	for _, tc := range []struct {
		name string
		body any
	}{
		{"no action", map[string]any{}},
		{"unknown action", map[string]any{"action": "Explode"}},
		{"ChangePlan without plan", map[string]any{"action": "ChangePlan"}},
		{"ChangeQuantity without quantity", map[string]any{"action": "ChangeQuantity"}},
		{"Suspend with a plan", map[string]any{"action": "Suspend", "planId": "trial"}},
		{"unknown field", map[string]any{"action": "Suspend", "when": "now"}},
		{"same plan", map[string]any{"action": "ChangePlan", "planId": "basic"}},
		{"quantity of a flat plan", map[string]any{"action": "ChangeQuantity", "quantity": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.event(a, tc.body.(map[string]any)); r.status != 422 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	if r := e.event("nope", map[string]any{"action": "Suspend"}); r.status != 404 {
		t.Fatalf("%d", r.status)
	}
	e.event(a, map[string]any{"action": "Suspend"})
	e.flush()
	rows := e.do(http.MethodGet, "/_sandbox/microsoft/webhooks", nil, nil).body["webhooks"].([]any)
	row := rows[0].(map[string]any)
	for _, k := range []string{"id", "operationId", "action", "url", "attempt", "status", "error", "sentAt", "body"} {
		if _, ok := row[k]; !ok {
			t.Errorf("row lacks %s: %v", k, row)
		}
	}
	received := e.do(http.MethodGet, "/_sandbox/microsoft/sample/webhooks", nil, nil).body["received"].([]any)
	if len(received) != 1 || received[0].(map[string]any)["verified"] != true {
		t.Fatalf("sample receiver: %v", received)
	}
}

// TestSampleLandingPage shows the token's subscription, as HTML or JSON.
func TestSampleLandingPage(t *testing.T) {
	e := newEnv(t)
	p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"})
	path := strings.TrimPrefix(p.body["landingPageUrl"].(string), e.srv.URL)
	r := e.do(http.MethodGet, path, map[string]string{"Accept": "application/json"}, nil)
	if r.body["valid"] != true || r.body["subscription"].(map[string]any)["id"] != p.body["subscriptionId"] {
		t.Fatalf("%s", r.raw)
	}
	html := e.do(http.MethodGet, path, nil, nil)
	if !strings.Contains(string(html.raw), p.body["subscriptionId"].(string)) {
		t.Fatalf("%s", html.raw)
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/sample/landing?token=nope", map[string]string{"Accept": "application/json"}, nil); r.body["valid"] != false {
		t.Fatalf("%s", r.raw)
	}
}

// TestSampleReceiverRefusesABadSignature: a token that does not verify
// is 401, recorded.
func TestSampleReceiverRefusesABadSignature(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/_sandbox/microsoft/sample/webhook", map[string]string{"Authorization": "Bearer forged"},
		map[string]any{"id": "x", "publisherId": "contoso", "action": "Suspend"})
	if r.status != 401 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

// TestManualWebhooks: in manual mode each webhook waits until fired or
// dropped.
func TestManualWebhooks(t *testing.T) {
	e := newEnv(t, func(su *setup) {
		su.settings = func(s *microsoft.Settings) { s.Webhook.Mode = microsoft.WebhookManual }
	})
	id := e.subscribed("basic", nil)
	e.event(id, map[string]any{"action": "Suspend"})
	e.event(id, map[string]any{"action": "Reinstate"})
	e.flush()
	pending := e.do(http.MethodGet, "/_sandbox/microsoft/webhooks/pending", nil, nil).body["pending"].([]any)
	if len(pending) != 2 {
		t.Fatalf("%v", pending)
	}
	first, second := pending[0].(map[string]any)["messageId"], pending[1].(map[string]any)["messageId"]
	if r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/"+second.(string)+"/fire", nil, nil); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/"+first.(string)+"/drop", nil, nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/nope/fire", nil, nil); r.status != 404 {
		t.Fatalf("%d", r.status)
	}
	e.flush()
	var outcomes []string
	for _, w := range e.webhooks(id) {
		outcomes = append(outcomes, w["action"].(string)+":"+w["outcome"].(string))
	}
	if strings.Join(outcomes, ",") != "Suspend:held,Reinstate:held,Reinstate:delivered,Suspend:dropped" {
		t.Fatalf("%v", outcomes)
	}
}

// TestWebhookPlans: the plan hook (fault rules, wired by the sandbox)
// drops, duplicates or delays a webhook.
func TestWebhookPlans(t *testing.T) {
	e := newEnv(t, func(su *setup) {
		su.opts = []microsoft.Option{microsoft.WithWebhookPlans(func(_, action string) outbound.Plan {
			switch action {
			case "Suspend":
				return outbound.Plan{Copies: 1}
			case "Reinstate":
				return outbound.Plan{Drop: outbound.Cause{Why: "fault rule"}}
			}
			return outbound.Plan{Delay: time.Minute}
		})}
	})
	id := e.subscribed("basic", nil)
	e.event(id, map[string]any{"action": "Suspend"})
	e.event(id, map[string]any{"action": "Reinstate"})
	e.event(id, map[string]any{"action": "Renew"})
	e.flush()
	if n := len(e.webhooks(id)); n != 3 {
		t.Fatalf("%d rows: %v", n, e.webhooks(id))
	}
	e.advance(time.Minute)
	var outcomes []string
	for _, w := range e.webhooks(id) {
		outcomes = append(outcomes, w["action"].(string)+":"+w["outcome"].(string))
	}
	if strings.Join(outcomes, ",") != "Suspend:delivered,Suspend:delivered,Reinstate:dropped,Renew:delivered" {
		t.Fatalf("%v", outcomes)
	}
}

// TestSpecIsServed: our OpenAPI document at /_sandbox/openapi/microsoft.yaml.
func TestSpecIsServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/_sandbox/openapi/microsoft.yaml", nil, nil)
	if r.status != 200 || !strings.Contains(string(r.raw), "/saas/subscriptions/resolve") || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("%d %.200s", r.status, r.raw)
	}
	if d := e.m.Describe("http://x"); d["openapi"] != "http://x/_sandbox/openapi/microsoft.yaml" {
		t.Fatalf("%v", d)
	}
}

// TestWebhookRules: a rule delays, drops, duplicates or reorders the
// webhooks it matches, Times spends it, reset clears it.
func TestWebhookRules(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	for _, bad := range []map[string]any{{}, {"action": "Explode", "drop": true}, {"delay": "soon"}, {"drop": true, "hold": true}, {"copies": 99}, {"drop": "yes"}} {
		if r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/rules", nil, bad); r.status != 422 {
			t.Fatalf("%v: %d %s", bad, r.status, r.raw)
		}
	}
	add := func(rule map[string]any) string {
		r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/rules", nil, rule)
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		return r.body["id"].(string)
	}
	add(map[string]any{"subscriptionId": id, "action": "Suspend", "copies": 1, "times": 1})
	add(map[string]any{"action": "Reinstate", "delay": "1m"})
	drop := add(map[string]any{"action": "Renew", "drop": true})
	e.event(id, map[string]any{"action": "Suspend"})
	e.event(id, map[string]any{"action": "Reinstate"})
	e.event(id, map[string]any{"action": "Renew"})
	e.flush()
	if n := len(e.webhooks(id)); n != 3 {
		t.Fatalf("before the delay: %v", e.webhooks(id))
	}
	e.advance(time.Minute)
	var outcomes []string
	for _, w := range e.webhooks(id) {
		outcomes = append(outcomes, w["action"].(string)+":"+w["outcome"].(string))
	}
	if strings.Join(outcomes, ",") != "Suspend:delivered,Suspend:delivered,Renew:dropped,Reinstate:delivered" {
		t.Fatalf("%v", outcomes)
	}
	rules := e.do(http.MethodGet, "/_sandbox/microsoft/webhooks/rules", nil, nil).body["rules"].([]any)
	if len(rules) != 2 {
		t.Fatalf("the spent rule is still listed: %v", rules)
	}
	if r := e.do(http.MethodDelete, "/_sandbox/microsoft/webhooks/rules/"+drop, nil, nil); r.status != 200 {
		t.Fatalf("%d", r.status)
	}
	if r := e.do(http.MethodDelete, "/_sandbox/microsoft/webhooks/rules/"+drop, nil, nil); r.status != 404 {
		t.Fatalf("%d", r.status)
	}
	e.m.Reset()
	if rules := e.do(http.MethodGet, "/_sandbox/microsoft/webhooks/rules", nil, nil).body["rules"].([]any); len(rules) != 0 {
		t.Fatalf("%v", rules)
	}
}
