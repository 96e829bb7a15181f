package microsoft_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

const day = 24 * time.Hour

// TestMonthLongLifecycle is a publisher's month, in well under a second:
// purchase, resolve, activate, a customer's change of seats acknowledged,
// a failed payment, and the 30-day rule.
func TestMonthLongLifecycle(t *testing.T) {
	e := newEnv(t)
	p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5})
	landing, _ := url.Parse(p.body["landingPageUrl"].(string))
	h := e.as(0)
	h["x-ms-marketplace-token"] = landing.Query().Get("token")
	id := e.do(http.MethodPost, "/api/saas/subscriptions/resolve"+v, h, nil).body["id"].(string)
	if r := e.api(http.MethodPost, "/"+id+"/activate", map[string]any{"planId": "team-seats", "quantity": 5}); r.status != 200 {
		t.Fatalf("activate %d %s", r.status, r.raw)
	}
	e.advance(3 * day)

	op := e.event(id, map[string]any{"action": "ChangeQuantity", "quantity": 8})
	if op.status != http.StatusAccepted {
		t.Fatalf("%d %s", op.status, op.raw)
	}
	opID := op.body["operationId"].(string)
	e.flush()
	hook := e.webhooks(id)[0]
	body := hook["body"].(map[string]any)
	if body["status"] != "InProgress" || body["operationRequestSource"] != "Azure" || body["quantity"] != 8.0 || body["subscription"].(map[string]any)["quantity"] != 5.0 {
		t.Fatalf("webhook %v", body)
	}
	if r := e.api(http.MethodPatch, "/"+id+"/operations/"+opID, map[string]any{"status": "Success"}); r.status != 200 {
		t.Fatalf("ACK %d %s", r.status, r.raw)
	}
	if s := e.sub(id); s["quantity"] != 8.0 {
		t.Fatalf("ACKed change not applied: %v", s)
	}

	if r := e.event(id, map[string]any{"action": "Suspend"}); r.status != http.StatusAccepted {
		t.Fatalf("suspend %d %s", r.status, r.raw)
	}
	e.advance(29 * day)
	if s := e.sub(id); s["saasSubscriptionStatus"] != "Suspended" {
		t.Fatalf("a Suspended subscription renewed or ended early: %v", s)
	}
	e.advance(day)
	if s := e.sub(id); s["saasSubscriptionStatus"] != "Unsubscribed" {
		t.Fatalf("30 days suspended: %v", s["saasSubscriptionStatus"])
	}
	var actions []any
	for _, w := range e.webhooks(id) {
		actions = append(actions, w["action"])
	}
	if len(actions) != 3 || actions[0] != "ChangeQuantity" || actions[1] != "Suspend" || actions[2] != "Unsubscribe" {
		t.Fatalf("webhooks %v", actions)
	}
	view := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions/"+id, nil, nil)
	if len(view.body["operations"].([]any)) != 3 || len(view.body["timeline"].([]any)) < 8 {
		t.Fatalf("timeline %s", view.raw)
	}
}

// TestYearlyRenewal: a P1Y term renews at its end (autoRenew), with a
// Renew webhook and the next term.
func TestYearlyRenewal(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("pro-annual", nil)
	term := e.sub(id)["term"].(map[string]any)
	if term["termUnit"] != "P1Y" || term["endDate"] != "2027-03-06T00:00:00Z" {
		t.Fatalf("%v", term)
	}
	e.advance(365 * day)
	s := e.sub(id)
	term = s["term"].(map[string]any)
	if s["saasSubscriptionStatus"] != "Subscribed" || term["startDate"] != "2027-03-07T00:00:00Z" || term["endDate"] != "2028-03-06T00:00:00Z" {
		t.Fatalf("%v", s)
	}
	hooks := e.webhooks(id)
	if len(hooks) != 1 || hooks[0]["action"] != "Renew" {
		t.Fatalf("%v", hooks)
	}
}

// TestTermEndWithoutAutoRenew unsubscribes; a free trial converts first.
func TestTermEndWithoutAutoRenew(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("trial", map[string]any{"isFreeTrial": true, "autoRenew": false})
	if s := e.sub(id); s["isFreeTrial"] != true {
		t.Fatalf("%v", s)
	}
	e.advance(31 * day)
	s := e.sub(id)
	if s["isFreeTrial"] != false || s["saasSubscriptionStatus"] != "Unsubscribed" {
		t.Fatalf("%v", s)
	}
}

// TestFreeTrialConverts: at the end of the trial the subscription stays
// Subscribed, isFreeTrial false, and renews.
func TestFreeTrialConverts(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("trial", map[string]any{"isFreeTrial": true})
	e.advance(31 * day)
	if s := e.sub(id); s["isFreeTrial"] != false || s["saasSubscriptionStatus"] != "Subscribed" {
		t.Fatalf("%v", s)
	}
}

// TestCustomerChanges: silence accepts after the ACK window; a 4xx
// answer to the webhook refuses.
func TestCustomerChanges(t *testing.T) {
	t.Run("silence accepts", func(t *testing.T) {
		e := newEnv(t)
		id := e.subscribed("basic", nil)
		e.event(id, map[string]any{"action": "ChangePlan", "planId": "trial"})
		e.advance(9 * time.Second)
		if e.sub(id)["planId"] != "basic" {
			t.Fatal("applied before the ACK window")
		}
		e.advance(time.Second)
		if e.sub(id)["planId"] != "trial" {
			t.Fatal("not applied after the ACK window")
		}
	})
	t.Run("a 4xx answer refuses", func(t *testing.T) {
		refuser := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) })
		e := newEnv(t)
		srv := newReceiver(t, refuser)
		e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", nil, map[string]any{"webhookUrl": srv})
		id := e.subscribed("basic", nil)
		op := e.event(id, map[string]any{"action": "ChangePlan", "planId": "trial"}).body["operationId"].(string)
		e.advance(time.Minute)
		if e.sub(id)["planId"] != "basic" {
			t.Fatal("a refused change applied")
		}
		if r := e.api(http.MethodGet, "/"+id+"/operations/"+op, nil); r.body["status"] != "Failed" {
			t.Fatalf("%s", r.raw)
		}
		if hooks := e.webhooks(id); len(hooks) != 1 || hooks[0]["outcome"] != "rejected" {
			t.Fatalf("a refusal was retried: %v", hooks)
		}
	})
	t.Run("a failing receiver is retried", func(t *testing.T) {
		calls := 0
		flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			if calls < 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		e := newEnv(t)
		e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", nil, map[string]any{"webhookUrl": newReceiver(t, flaky)})
		id := e.subscribed("basic", nil)
		e.event(id, map[string]any{"action": "Suspend"})
		e.advance(5 * time.Minute)
		hooks := e.webhooks(id)
		if len(hooks) != 3 || hooks[2]["outcome"] != "delivered" || hooks[0]["outcome"] != "retrying" {
			t.Fatalf("%v", hooks)
		}
	})
}

// TestEventsInAWrongStateAre409: every event is refused with a clear 409
// in a state that does not allow it, never a hang.
func TestEventsInAWrongStateAre409(t *testing.T) {
	e := newEnv(t)
	pending := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"}).body["subscriptionId"].(string)
	sub := e.subscribed("team-seats", map[string]any{"quantity": 2})
	cases := []struct {
		name, id string
		body     map[string]any
	}{
		{"suspend a pending subscription", pending, map[string]any{"action": "Suspend"}},
		{"reinstate a Subscribed one", sub, map[string]any{"action": "Reinstate"}},
		{"renew a pending one", pending, map[string]any{"action": "Renew"}},
		{"change a pending one", pending, map[string]any{"action": "ChangePlan", "planId": "trial"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.event(tc.id, tc.body); r.status != http.StatusConflict || r.body["error"] != "conflict" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("while an operation is pending", func(t *testing.T) {
		e.event(sub, map[string]any{"action": "ChangeQuantity", "quantity": 3})
		if r := e.event(sub, map[string]any{"action": "Suspend"}); r.status != http.StatusConflict {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("unsubscribed is final", func(t *testing.T) {
		e.event(pending, map[string]any{"action": "Unsubscribe"})
		for _, a := range []string{"Unsubscribe", "Suspend", "Reinstate", "Renew"} {
			if r := e.event(pending, map[string]any{"action": a}); r.status != http.StatusConflict {
				t.Fatalf("%s: %d %s", a, r.status, r.raw)
			}
		}
	})
	t.Run("reinstate", func(t *testing.T) {
		e.advance(time.Minute)
		e.event(sub, map[string]any{"action": "Suspend"})
		if r := e.event(sub, map[string]any{"action": "Reinstate"}); r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if s := e.sub(sub); s["saasSubscriptionStatus"] != "Subscribed" {
			t.Fatalf("%v", s)
		}
	})
}

// TestRenewEvent renews now: the new term starts today, with a Renew
// webhook, and the old term's end does nothing.
func TestRenewEvent(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	e.advance(10 * day)
	if r := e.event(id, map[string]any{"action": "Renew"}); r.status != http.StatusAccepted {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	term := e.sub(id)["term"].(map[string]any)
	if term["startDate"] != "2026-03-17T00:00:00Z" || term["endDate"] != "2026-04-16T00:00:00Z" {
		t.Fatalf("%v", term)
	}
	e.advance(25 * day)
	if n := len(e.webhooks(id)); n != 1 {
		t.Fatalf("%d webhooks: the old term end renewed again", n)
	}
}
