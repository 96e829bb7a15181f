package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestScriptsControlAPIStoresListsAndDeletes(t *testing.T) {
	srv := frozen(t)
	base := srv.URL + "/_sandbox/gitlab/scripts"
	if id := mustScript(t, srv, `{"callout":{"delay":"1m"}}`); id != "s1" {
		t.Errorf("first generated id %s, want s1", id)
	}
	if id := mustScript(t, srv, `{"id":"s2-mine","partner":"demo-partner","license":{"bounce":"full"}}`); id != "s2-mine" {
		t.Errorf("given id not kept: %s", id)
	}
	if id := mustScript(t, srv, `{"zuora":{"latency":"1s"}}`); id != "s2" {
		t.Errorf("second generated id %s, want s2", id)
	}
	got := call(t, http.MethodGet, base+"/s2-mine", nil, nil)
	if got.status != http.StatusOK || got.json["partner"] != "demo-partner" || got.json["license"].(map[string]any)["bounce"] != "full" {
		t.Errorf("GET one: %d %s", got.status, got.raw)
	}
	if list := controlList(t, srv, "/_sandbox/gitlab/scripts", "scripts"); len(list) != 3 || list[0]["id"] != "s1" {
		t.Errorf("list %v", list)
	}
	if r := call(t, http.MethodDelete, base+"/s1", nil, nil); r.status != http.StatusOK || r.json["id"] != "s1" {
		t.Errorf("DELETE one: %d %s", r.status, r.raw)
	}
	expectError(t, call(t, http.MethodGet, base+"/s1", nil, nil), http.StatusNotFound, "not_found")
	expectError(t, call(t, http.MethodDelete, base+"/s1", nil, nil), http.StatusNotFound, "not_found")
	if r := call(t, http.MethodDelete, base, nil, nil); r.status != http.StatusOK || r.json["deleted"] != 2.0 {
		t.Errorf("DELETE all: %d %s", r.status, r.raw)
	}
	if list := controlList(t, srv, "/_sandbox/gitlab/scripts", "scripts"); len(list) != 0 {
		t.Errorf("scripts left: %v", list)
	}
}

func TestBadScriptsAreRefusedWithEveryProblemNamed(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		code       string
		fields     map[string]string // field → part of its message
	}{
		{"not JSON", `{"zuora":`, 400, "bad_request", nil},
		{"not an object", `[1]`, 422, "validation_failed", map[string]string{"script": "JSON object"}},
		{"no effect", `{"partner":"demo-partner"}`, 422, "validation_failed", map[string]string{"script": "no effect"}},
		{"unknown fields", `{"zuora":{"eror":"x"},"colour":"red"}`, 422, "validation_failed", map[string]string{
			"zuora.eror": "unknown field; known fields here: decline, error, latency, timeout",
			"colour":     "unknown field"}},
		{"wrong types", `{"zuora":{"latency":5,"timeout":"yes"},"callout":{"duplicate":"two"},"license":"x"}`, 422, "validation_failed", map[string]string{
			"zuora.latency": "must be a string", "zuora.timeout": "true or false", "callout.duplicate": "whole number", "license": "object"}},
		{"bad values", `{"zuora":{"latency":"soon"},"callout":{"auth":"basic","failTimes":-1,"delay":"-1s"}}`, 422, "validation_failed", map[string]string{
			"zuora.latency": `"soon" is not a duration`, "callout.auth": "not challenge or preemptive",
			"callout.failTimes": "0 to 10", "callout.delay": "between 0s"}},
		{"unknown partner", `{"partner":"nobody","zuora":{"error":"x"}}`, 422, "validation_failed", map[string]string{"partner": `no partner "nobody"`}},
		{"external id alone", `{"externalSubscriptionId":"x","zuora":{"error":"x"}}`, 422, "validation_failed", map[string]string{"externalSubscriptionId": "needs partner"}},
		{"bad id", `{"id":"a b","zuora":{"error":"x"}}`, 422, "validation_failed", map[string]string{"id": "1 to 64"}},
		{"drop and manual", `{"callout":{"drop":true,"manual":true}}`, 422, "validation_failed", map[string]string{"callout.manual": "contradicts callout.drop"}},
		{"too large", `{"zuora":{"error":"` + strings.Repeat("x", 70<<10) + `"}}`, 413, "payload_too_large", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := frozen(t)
			r := postScript(t, srv, tc.body)
			expectError(t, r, tc.status, tc.code)
			if tc.fields == nil {
				return
			}
			got := map[string]string{}
			for _, e := range r.json["errors"].([]any) {
				m := e.(map[string]any)
				got[m["field"].(string)] = m["message"].(string)
			}
			if len(got) != len(tc.fields) {
				t.Errorf("fields %v, want exactly %v", got, tc.fields)
			}
			for f, want := range tc.fields {
				if !strings.Contains(got[f], want) {
					t.Errorf("field %s: message %q, want it to say %q", f, got[f], want)
				}
			}
		})
	}
}

func TestDuplicateScriptIDIsAConflict(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"id":"x","zuora":{"error":"a"}}`)
	expectError(t, postScript(t, srv, `{"id":"x","zuora":{"error":"b"}}`), http.StatusConflict, "conflict")
}

func TestUnknownHeldCalloutsAre404(t *testing.T) {
	srv := frozen(t)
	for _, verb := range []string{"fire", "drop"} {
		r := call(t, http.MethodPost, srv.URL+"/_sandbox/gitlab/callouts/nope/"+verb, nil, nil)
		expectError(t, r, http.StatusNotFound, "not_found")
	}
}

// TestScriptPrecedence: per field, a script for the subscription beats the
// partner's, which beats one for every order; among equals the newest wins.
func TestScriptPrecedence(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"id":"all","callout":{"delay":"10m"},"license":{"bounce":"everyone"}}`)
	mustScript(t, srv, `{"id":"partner-old","partner":"demo-partner","callout":{"delay":"15m"}}`)
	mustScript(t, srv, `{"id":"partner","partner":"demo-partner","callout":{"delay":"20m"}}`)
	mustScript(t, srv, `{"id":"one","partner":"demo-partner","externalSubscriptionId":"prec-1","callout":{"delay":"30m"}}`)
	demo := token(t, srv, "demo-partner", scopeCreate)
	second := token(t, srv, "second-partner", scopeCreate)
	create(t, srv, demo, order("prec-1"))
	create(t, srv, demo, order("prec-2"))
	o := order("prec-3")
	o["tradingPartnerId"] = "TP-SECOND-001"
	create(t, srv, second, o)
	for _, want := range []struct{ partner, ext, effects string }{
		{"demo-partner", "prec-1", "callout.delay (one), license.bounce (all)"},
		{"demo-partner", "prec-2", "callout.delay (partner), license.bounce (all)"},
		{"second-partner", "prec-3", "callout.delay (all), license.bounce (all)"},
	} {
		scriptedEvent(t, subscriptionRecord(t, srv, want.partner, want.ext), "script", "", want.effects)
	}
	srv.Advance(30 * time.Minute)
	for _, m := range outboxOf(t, srv) {
		if m["bounced"] != true || m["bounceReason"] != "everyone" {
			t.Errorf("the script for every order must bounce every email: %v", m)
		}
	}
}

func TestScriptAddedAfterCreateAppliesToLaterSteps(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("late-1"))
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"late-1","provisioning":{"error":"late script"}}`)
	srv.Advance(2 * time.Second)
	sub := subscriptionRecord(t, srv, "demo-partner", "late-1")
	if transitions(sub) != "Creating>Created>Failed" {
		t.Errorf("transitions %s", transitions(sub))
	}
	scriptedEvent(t, sub, "license", "s1", "late script")
}

func TestReorderedCalloutArrivesAfterTheNextOne(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"first","callout":{"reorder":true}}`)
	tok := token(t, srv, "demo-partner", scopeCreate)
	first := create(t, srv, tok, order("first")).json["subscriptionNumber"].(string)
	srv.Advance(2 * time.Second)
	if p := controlList(t, srv, "/_sandbox/gitlab/callouts/pending", "pending"); len(p) != 1 || !strings.HasPrefix(p[0]["why"].(string), "reorder") {
		t.Fatalf("pending %v, want the first order's callout held for reordering", p)
	}
	second := create(t, srv, tok, order("second")).json["subscriptionNumber"].(string)
	srv.Advance(2 * time.Second)
	var order []string
	for _, d := range authenticated(controlList(t, srv, "/_sandbox/gitlab/callouts", "deliveries")) {
		order = append(order, d["subscriptionNumber"].(string))
	}
	if strings.Join(order, ",") != second+","+first {
		t.Errorf("delivery order %v, want the second order's callout before the first's", order)
	}
	for _, ext := range []string{"first", "second"} {
		if got := statusOf(t, srv, tok, ext); got != "Provisioned" {
			t.Errorf("%s: %s", ext, got)
		}
	}
}

func TestReorderedCalloutAloneGoesOutAfterTheRetryInterval(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"callout":{"reorder":true}}`)
	lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Created"}, {30*time.Minute - time.Millisecond, "Created"}, {time.Millisecond, "Provisioned"}},
		path:  "Creating>Created>Provisioned"}.run(t, srv, order("alone"))
}

// TestPendingCalloutsFilter holds three callouts, of two partners, and
// lists them by each filter.
func TestPendingCalloutsFilter(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"callout":{"manual":true}}`)
	demo, second := token(t, srv, "demo-partner", scopeCreate), token(t, srv, "second-partner", scopeCreate)
	numbers := map[string]string{}
	for _, o := range []struct{ tok, partner, ext string }{{demo, "demo-partner", "held-1"}, {demo, "demo-partner", "held-2"}, {second, "second-partner", "held-1"}} {
		body := order(o.ext)
		if o.partner == "second-partner" {
			body["tradingPartnerId"] = "TP-SECOND-001"
		}
		r := create(t, srv, o.tok, body)
		if r.status != http.StatusCreated {
			t.Fatalf("%s: %d %s", o.partner, r.status, r.raw)
		}
		numbers[o.partner+"/"+o.ext] = r.json["subscriptionNumber"].(string)
	}
	srv.Advance(time.Minute)
	for query, want := range map[string]int{
		"": 3, "?partner=demo-partner": 2, "?partner=second-partner": 1, "?externalSubscriptionId=held-1": 2,
		"?externalSubscriptionId=held-1&partner=second-partner": 1, "?subscriptionNumber=" + numbers["demo-partner/held-2"]: 1,
		"?partner=": 3, "?partner=nobody": 0,
	} {
		if got := controlList(t, srv, "/_sandbox/gitlab/callouts/pending"+query, "pending"); len(got) != want {
			t.Errorf("pending%s: %d callouts, want %d: %v", query, len(got), want, got)
		}
	}
	one := controlList(t, srv, "/_sandbox/gitlab/callouts/pending?subscriptionNumber="+numbers["second-partner/held-1"], "pending")
	if len(one) != 1 || one[0]["partner"] != "second-partner" || one[0]["externalSubscriptionId"] != "held-1" {
		t.Errorf("by number: %v", one)
	}
}

// TestControlListingsRefuseUnknownFilters: a misspelt filter would
// otherwise list everything.
func TestControlListingsRefuseUnknownFilters(t *testing.T) {
	srv := frozen(t)
	for _, path := range []string{
		"/_sandbox/gitlab/subscriptions?externalId=x", "/_sandbox/gitlab/callouts?number=1",
		"/_sandbox/gitlab/outbox?subscription=1", "/_sandbox/gitlab/callouts/pending?status=held",
		"/_sandbox/gitlab/subscriptions?partner=a&partner=b",
	} {
		r := call(t, http.MethodGet, srv.URL+path, nil, nil)
		expectError(t, r, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(string(r.raw), "arameter") {
			t.Errorf("%s: %s does not name the parameter", path, r.raw)
		}
	}
}
