package gitlab_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

func outboxOf(t *testing.T, srv *sandboxtest.Server) []map[string]any {
	t.Helper()
	return controlList(t, srv, "/_sandbox/gitlab/outbox", "messages")
}

func failureReason(t *testing.T, sub map[string]any, want string) {
	t.Helper()
	if got, _ := sub["failureReason"].(string); got != want {
		t.Errorf("failureReason %q, want %q", got, want)
	}
}

// scriptStories are what each script field does to one order, told with
// the sandbox clock.
var scriptStories = []struct {
	name   string
	effect string // the script's effect, as JSON members
	life   lifecycle
}{
	{"zuora error", `"zuora":{"error":"account locked"}`, lifecycle{created: "Failed", path: "Creating>Failed",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Zuora refused the subscription: account locked")
			scriptedEvent(t, sub, "zuora", "s1", "account locked")
			if sub["subscriptionNumber"] != nil {
				t.Errorf("Zuora made no subscription, yet number %v", sub["subscriptionNumber"])
			}
		}}},
	{"zuora latency", `"zuora":{"latency":"5m"}`, lifecycle{created: "Creating",
		steps: []step{{5*time.Minute - time.Millisecond, "Creating"}, {time.Millisecond, "Created"}, {2 * time.Second, "Provisioned"}},
		path:  "Creating>Created>Provisioned",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			scriptedEvent(t, sub, "zuora", "s1", "Zuora answers after 5m0s")
		}}},
	{"zuora timeout", `"zuora":{"timeout":true}`, lifecycle{created: "Creating",
		steps: []step{{60*time.Second - time.Millisecond, "Creating"}, {time.Millisecond, "Failed"}, {48 * time.Hour, "Failed"}},
		path:  "Creating>Failed",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Zuora did not answer within 60s")
			if sub["updatedAt"] != epoch.Add(time.Minute).Format(time.RFC3339) {
				t.Errorf("failed at %v, want exactly gitlab.zuora.timeout after the order", sub["updatedAt"])
			}
			scriptedEvent(t, sub, "zuora", "s1", "did not answer")
		}}},
	{"zuora decline", `"zuora":{"decline":"insufficient funds"}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Failed"}}, path: "Creating>Created>Failed",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Zuora reported the payment declined: insufficient funds")
			scriptedEvent(t, sub, "zuora", "s1", "Payment Declined")
			d := authenticated(deliveriesOf(t, srv, sub["subscriptionNumber"].(string)))
			if len(d) != 1 || d[0]["event"] != "Payment Declined" || d[0]["outcome"] != "delivered" {
				t.Errorf("deliveries %v", d)
			}
			if len(outboxOf(t, srv)) != 0 {
				t.Error("a declined order got a license email")
			}
		}}},
	{"salesforce error", `"salesforce":{"error":"duplicate account"}`, lifecycle{created: "Failed", path: "Creating>Failed",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Salesforce could not create the order's objects: duplicate account")
			scriptedEvent(t, sub, "salesforce", "s1", "duplicate account")
		}}},
	{"salesforce latency", `"salesforce":{"latency":"1m"}`, lifecycle{created: "Creating",
		steps: []step{{time.Minute - time.Millisecond, "Creating"}, {time.Millisecond, "Created"}, {2 * time.Second, "Provisioned"}},
		path:  "Creating>Created>Provisioned",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			scriptedEvent(t, sub, "salesforce", "s1", "Salesforce answers after 1m0s")
		}}},
	{"callout delay", `"callout":{"delay":"30m"}`, lifecycle{created: "Created",
		steps: []step{{30*time.Minute - time.Millisecond, "Created"}, {time.Millisecond, "Provisioned"}},
		path:  "Creating>Created>Provisioned"}},
	{"callout drop", `"callout":{"drop":true}`, lifecycle{created: "Created",
		steps: []step{{48 * time.Hour, "Created"}}, path: "Creating>Created",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			d := deliveriesOf(t, srv, sub["subscriptionNumber"].(string))
			if len(d) != 1 || d[0]["outcome"] != "dropped" || d[0]["script"] != "s1" {
				t.Errorf("deliveries %v, want one dropped by s1", d)
			}
			scriptedEvent(t, sub, "callout", "s1", "dropped")
		}}},
	{"callout duplicate", `"callout":{"duplicate":2}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			d := authenticated(deliveriesOf(t, srv, sub["subscriptionNumber"].(string)))
			if len(d) != 3 || d[0]["notificationId"] != d[1]["notificationId"] || d[1]["notificationId"] != d[2]["notificationId"] {
				t.Fatalf("want the notification delivered 3 times with one id: %v", d)
			}
			if d[1]["copy"] != 1.0 || d[2]["copy"] != 2.0 || d[2]["script"] != "s1" {
				t.Errorf("copies not marked: %v", d)
			}
			if n := strings.Count(stringOf(sub["timeline"]), "acknowledged, not processed"); n != 2 {
				t.Errorf("%d duplicates acknowledged, want 2", n)
			}
			if len(outboxOf(t, srv)) != 1 {
				t.Errorf("want exactly one email")
			}
		}}},
	{"callout failTimes", `"callout":{"failTimes":2}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Created"}, {30 * time.Minute, "Created"}, {30*time.Minute - time.Millisecond, "Created"}, {time.Millisecond, "Provisioned"}},
		path:  "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			var got []string
			for _, d := range authenticated(deliveriesOf(t, srv, sub["subscriptionNumber"].(string))) {
				got = append(got, stringOf(d["attempt"])+":"+stringOf(d["statusCode"]))
				if d["journal"] != "/_sandbox/journal?correlationId="+d["requestId"].(string) {
					t.Errorf("journal link %v for request %v", d["journal"], d["requestId"])
				}
			}
			if strings.Join(got, " ") != "1:500 2:500 3:200" {
				t.Errorf("attempts %v, want 1:500 2:500 3:200", got)
			}
			scriptedEvent(t, sub, "callout", "s1", "scripted failure 2 of 2")
		}}},
	{"callout auth preemptive", `"callout":{"auth":"preemptive"}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			if d := deliveriesOf(t, srv, sub["subscriptionNumber"].(string)); len(d) != 1 || d[0]["credentials"] != true {
				t.Errorf("preemptive callout must send credentials at once: %v", d)
			}
		}}},
	{"callout manual", `"callout":{"manual":true}`, lifecycle{created: "Created",
		steps: []step{{48 * time.Hour, "Created"}}, path: "Creating>Created",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			fireThePendingCallout(t, srv, sub, "s1")
		}}},
	{"provisioning error", `"provisioning":{"error":"license service down"}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Failed"}}, path: "Creating>Created>Failed",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "the license could not be built: license service down")
			scriptedEvent(t, sub, "license", "s1", "license service down")
			if len(outboxOf(t, srv)) != 0 {
				t.Error("a failed license build sent an email")
			}
		}}},
	{"license bounce", `"license":{"bounce":"550 no such user"}`, lifecycle{created: "Created",
		steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			mail := outboxOf(t, srv)
			if len(mail) != 1 || mail[0]["bounced"] != true || mail[0]["bounceReason"] != "550 no such user" {
				t.Errorf("outbox %v, want one bounced email", mail)
			}
			scriptedEvent(t, sub, "license", "s1", "bounced: 550 no such user")
		}}},
}

// TestEveryScriptFieldThroughTheLifecycle posts one script for one order
// and follows the order on the sandbox clock.
func TestEveryScriptFieldThroughTheLifecycle(t *testing.T) {
	for _, tc := range scriptStories {
		t.Run(tc.name, func(t *testing.T) {
			srv := frozen(t)
			mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"scripted-1",`+tc.effect+`}`)
			tc.life.run(t, srv, order("scripted-1"))
			scriptedEvent(t, subscriptionRecord(t, srv, "demo-partner", "scripted-1"), "script", "", "(s1)")
		})
	}
}

// fireThePendingCallout checks that the order's callout is held, fires it,
// and checks that it was delivered and provisioned the order at once.
func fireThePendingCallout(t *testing.T, srv *sandboxtest.Server, sub map[string]any, why string) {
	t.Helper()
	pending := controlList(t, srv, "/_sandbox/gitlab/callouts/pending", "pending")
	if len(pending) != 1 || pending[0]["externalSubscriptionId"] != sub["externalSubscriptionId"] ||
		pending[0]["partner"] != "demo-partner" || !strings.Contains(pending[0]["why"].(string), why) {
		t.Fatalf("pending %v, want this order's callout held (%s)", pending, why)
	}
	fire := srv.URL + "/_sandbox/gitlab/callouts/" + pending[0]["id"].(string) + "/fire"
	r := call(t, http.MethodPost, fire, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("fire: %d %s", r.status, r.raw)
	}
	after := subscriptionRecord(t, srv, "demo-partner", sub["externalSubscriptionId"].(string))
	if after["status"] != "Provisioned" {
		t.Errorf("status %v right after fire", after["status"])
	}
	if p := controlList(t, srv, "/_sandbox/gitlab/callouts/pending", "pending"); len(p) != 0 {
		t.Errorf("still pending after fire: %v", p)
	}
	expectError(t, call(t, http.MethodPost, fire, nil, nil), http.StatusNotFound, "not_found")
}

func stringOf(v any) string {
	if _, ok := v.([]any); ok {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(v)
}

func TestManualCalloutModeHoldsEveryCalloutUntilFiredOrDropped(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Zuora.CalloutMode = "manual" }))
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("manual-1"))
	number2 := create(t, srv, tok, order("manual-2")).json["subscriptionNumber"].(string)
	srv.Advance(24 * time.Hour)
	pending := controlList(t, srv, "/_sandbox/gitlab/callouts/pending", "pending")
	if len(pending) != 2 || pending[1]["externalSubscriptionId"] != "manual-2" || !strings.Contains(pending[1]["why"].(string), "callout_mode") {
		t.Fatalf("pending %v", pending)
	}
	drop := srv.URL + "/_sandbox/gitlab/callouts/" + pending[1]["id"].(string) + "/drop"
	if r := call(t, http.MethodPost, drop, nil, nil); r.status != http.StatusOK {
		t.Fatalf("drop: %d %s", r.status, r.raw)
	}
	expectError(t, call(t, http.MethodPost, drop, nil, nil), http.StatusNotFound, "not_found")
	fireThePendingCallout(t, srv, map[string]any{"externalSubscriptionId": "manual-1"}, "callout_mode")

	srv.Advance(24 * time.Hour)
	tok = token(t, srv, "demo-partner", scopeRead)
	if got := statusOf(t, srv, tok, "manual-2"); got != "Created" {
		t.Errorf("dropped callout's order is %s, want Created", got)
	}
	var outcomes []string
	for _, d := range deliveriesOf(t, srv, number2) {
		outcomes = append(outcomes, d["outcome"].(string))
	}
	if strings.Join(outcomes, ",") != "held,dropped" {
		t.Errorf("outcomes %v, want held,dropped", outcomes)
	}
	fire := srv.URL + "/_sandbox/gitlab/callouts/" + pending[1]["id"].(string) + "/fire"
	expectError(t, call(t, http.MethodPost, fire, nil, nil), http.StatusNotFound, "not_found")
}

func TestScriptedChallengeAuthOverridesPreemptiveSetting(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Zuora.CalloutAuth = "preemptive" }))
	mustScript(t, srv, `{"partner":"demo-partner","callout":{"auth":"challenge"}}`)
	lifecycle{created: "Created", steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			d := deliveriesOf(t, srv, sub["subscriptionNumber"].(string))
			if len(d) != 2 || d[0]["outcome"] != "challenged" || d[0]["credentials"] != false {
				t.Errorf("the script must make Zuora wait for the challenge: %v", d)
			}
		}}.run(t, srv, order("challenged-1"))
}
