package microsoft_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The states a subscription can be in when a publisher or the marketplace
// acts on it (docs/microsoft.md §5), the "locked" ones included: a
// publisher's change in progress, a customer's change waiting for the
// publisher's ACK, and a pending subscription the publisher is
// unsubscribing.
const (
	pending = iota
	subscribed
	suspended
	unsubscribed
	partnerOp
	awaitingAck
	pendingUnsubscribing
	stateCount
)

var stateNames = [stateCount]string{"PendingFulfillmentStart", "Subscribed", "Suspended", "Unsubscribed",
	"publisher change in progress", "customer change awaiting ACK", "PendingFulfillmentStart being unsubscribed"}

// cell is one subscription in a state, with the operation that state
// has (the Suspend, the Unsubscribe, the pending change), if any.
type cell struct{ id, op string }

// inState makes a team-seats subscription (5 seats) in state.
func (e *env) inState(state int) cell {
	e.t.Helper()
	if state == pending || state == pendingUnsubscribing {
		c := cell{id: e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5}).body["subscriptionId"].(string)}
		if state == pendingUnsubscribing {
			c.op = operationOf(e.api(http.MethodDelete, "/"+c.id, nil))
		}
		return c
	}
	c := cell{id: e.subscribed("team-seats", map[string]any{"quantity": 5})}
	var r reply
	switch state {
	case subscribed:
		return c
	case suspended:
		r = e.event(c.id, map[string]any{"action": "Suspend"})
	case unsubscribed:
		r = e.event(c.id, map[string]any{"action": "Unsubscribe"})
	case awaitingAck:
		r = e.event(c.id, map[string]any{"action": "ChangeQuantity", "quantity": 8})
	case partnerOp:
		c.op = operationOf(e.api(http.MethodPatch, "/"+c.id, map[string]any{"quantity": 7}))
		return c
	}
	if r.status != http.StatusAccepted {
		e.t.Fatalf("into %s: %d %s", stateNames[state], r.status, r.raw)
	}
	e.flush()
	c.op = r.body["operationId"].(string)
	return c
}

// operationOf is the operation id of a 202's Operation-Location.
func operationOf(r reply) string {
	loc := r.header.Get("Operation-Location")
	return loc[strings.LastIndex(loc, "/")+1 : strings.Index(loc, "?")]
}

// want is an answer: its status and a text its message must hold (the
// fulfillment API's message, or the control API's description and field
// problems).
type want struct {
	status int
	text   string
}

func w(status int, text string) want { return want{status, text} }

// each is the same answer in every state.
func each(status int, text string) [stateCount]want {
	var out [stateCount]want
	for i := range out {
		out[i] = want{status, text}
	}
	return out
}

const (
	notChangeable = "only a Subscribed subscription can be changed"
	lockedAPI     = "locked by a pending operation"
	lockedEvent   = "is locked by the pending operation"
	unknownOp     = "not found for subscription"
)

// actions are every publisher call and marketplace event of the matrix.
func actions(e *env) []struct {
	name string
	do   func(c cell) reply
	want [stateCount]want
} {
	patch := func(body any) func(c cell) reply {
		return func(c cell) reply { return e.api(http.MethodPatch, "/"+c.id, body) }
	}
	ack := func(status string) func(c cell) reply {
		return func(c cell) reply {
			op := c.op
			if op == "" {
				op = "00000000-0000-4000-8000-000000000001"
			}
			return e.api(http.MethodPatch, "/"+c.id+"/operations/"+op, map[string]any{"status": status})
		}
	}
	event := func(body map[string]any) func(c cell) reply {
		return func(c cell) reply { return e.event(c.id, body) }
	}
	changed := [stateCount]want{w(400, notChangeable), w(202, ""), w(400, notChangeable), w(400, notChangeable), w(409, lockedAPI), w(409, lockedAPI), w(400, notChangeable)}
	changedEvent := [stateCount]want{w(409, notChangeable), w(202, ""), w(409, notChangeable), w(409, notChangeable), w(409, lockedEvent), w(409, lockedEvent), w(409, notChangeable)}
	alreadyOnPlan := "is already subscribed to plan team-seats. Changing plans only supported between two different plans"
	notInCatalog := "Request Plan is NOT in Catalog."
	settled := "is already Succeeded"
	return []struct {
		name string
		do   func(c cell) reply
		want [stateCount]want
	}{
		{"activate", func(c cell) reply {
			return e.api(http.MethodPost, "/"+c.id+"/activate", map[string]any{"planId": "team-seats", "quantity": 5})
		}, [stateCount]want{w(200, ""), w(400, "is already activated"), w(400, "is suspended and cannot be activated"),
			w(400, "is Unsubscribed and cannot be activated"), w(400, "is already activated"), w(400, "is already activated"),
			w(400, "is locked by the pending operation")}},
		{"PATCH plan", patch(map[string]any{"planId": "basic"}), changed},
		{"PATCH quantity", patch(map[string]any{"quantity": 9}), changed},
		{"PATCH quantity with an unknown field", patch(map[string]any{"quantity": 9, "note": "x"}), changed},
		{"PATCH plan and quantity", patch(map[string]any{"planId": "basic", "quantity": 9}), each(400, "Cannot patch more than one field in the same request")},
		{"PATCH same plan", patch(map[string]any{"planId": "team-seats"}),
			[stateCount]want{w(400, notChangeable), w(400, alreadyOnPlan), w(400, notChangeable), w(400, notChangeable), w(400, alreadyOnPlan), w(400, alreadyOnPlan), w(400, notChangeable)}},
		{"PATCH unknown plan", patch(map[string]any{"planId": "gold"}),
			[stateCount]want{w(400, notChangeable), w(400, notInCatalog), w(400, notChangeable), w(400, notChangeable), w(400, notInCatalog), w(400, notInCatalog), w(400, notChangeable)}},
		{"PATCH no body", patch(nil), each(400, "The request body must be a JSON object.")},
		{"PATCH {}", patch("{}"), each(400, "The body must give planId or quantity.")},
		{"PATCH only unknown fields", patch(`{"seats":9}`), each(400, "The body must give planId or quantity.")},
		{"PATCH null", patch("null"), each(400, "The request body must be a JSON object.")},
		{"PATCH an array", patch(`[{"quantity":9}]`), each(400, "The request body must be a JSON object.")},
		{"PATCH a key twice", patch(`{"quantity":9,"quantity":10}`), each(400, `the key "quantity" is given twice`)},
		{"PATCH as text/plain", func(c cell) reply {
			h := e.as(0)
			h["Content-Type"] = "text/plain"
			return e.do(http.MethodPatch, "/api/saas/subscriptions/"+c.id+v, h, `{"quantity":9}`)
		}, each(400, `The request body must be sent as application/json (UTF-8), not "text/plain".`)},
		{"DELETE", func(c cell) reply { return e.api(http.MethodDelete, "/"+c.id, nil) },
			[stateCount]want{w(202, ""), w(202, ""), w(202, ""), w(400, "is already unsubscribed"), w(409, lockedAPI), w(409, lockedAPI), w(409, lockedAPI)}},
		{"PATCH operation Success", ack("Success"),
			[stateCount]want{w(404, unknownOp), w(404, unknownOp), w(409, settled), w(409, settled), w(400, "was started by the publisher"), w(200, ""), w(400, "was started by the publisher")}},
		{"PATCH operation Failure", ack("Failure"),
			[stateCount]want{w(404, unknownOp), w(404, unknownOp), w(409, settled), w(409, settled), w(400, "was started by the publisher"), w(200, ""), w(400, "was started by the publisher")}},
		{"PATCH operation Maybe", ack("Maybe"),
			[stateCount]want{w(404, unknownOp), w(404, unknownOp), w(400, "status must be Success or Failure."), w(400, "status must be Success or Failure."),
				w(400, "status must be Success or Failure."), w(400, "status must be Success or Failure."), w(400, "status must be Success or Failure.")}},
		{"event ChangePlan", event(map[string]any{"action": "ChangePlan", "planId": "basic"}), changedEvent},
		{"event ChangeQuantity", event(map[string]any{"action": "ChangeQuantity", "quantity": 9}), changedEvent},
		{"event Suspend", event(map[string]any{"action": "Suspend"}),
			[stateCount]want{w(409, "Only a Subscribed subscription can be suspended"), w(202, ""), w(409, "Only a Subscribed subscription can be suspended"),
				w(409, "Only a Subscribed subscription can be suspended"), w(409, lockedEvent), w(409, lockedEvent), w(409, "Only a Subscribed subscription can be suspended")}},
		{"event Reinstate", event(map[string]any{"action": "Reinstate"}),
			[stateCount]want{w(409, "Only a Suspended subscription can be reinstated"), w(409, "Only a Suspended subscription can be reinstated"), w(202, ""),
				w(409, "Only a Suspended subscription can be reinstated"), w(409, "Only a Suspended subscription can be reinstated"), w(409, "Only a Suspended subscription can be reinstated"),
				w(409, "Only a Suspended subscription can be reinstated")}},
		{"event Unsubscribe", event(map[string]any{"action": "Unsubscribe"}),
			[stateCount]want{w(202, ""), w(202, ""), w(202, ""), w(409, "is already unsubscribed"), w(409, lockedEvent), w(409, lockedEvent), w(409, lockedEvent)}},
		{"event Renew", event(map[string]any{"action": "Renew"}),
			[stateCount]want{w(409, "Only a Subscribed subscription can be renewed"), w(202, ""), w(409, "Only a Subscribed subscription can be renewed"),
				w(409, "Only a Subscribed subscription can be renewed"), w(409, lockedEvent), w(409, lockedEvent), w(409, "Only a Subscribed subscription can be renewed")}},
	}
}

// answerText is what an answer says: the fulfillment API's message, or
// the control API's description with its field problems.
func answerText(r reply) string {
	if m, ok := r.body["message"].(string); ok {
		return m
	}
	text, _ := r.body["error_description"].(string)
	if errs, ok := r.body["errors"].([]any); ok {
		text += fmt.Sprint(errs)
	}
	return text
}

// TestEveryStateAgainstEveryAction puts a subscription in each state and
// tries every publisher call and marketplace event on it: each answers
// the status docs/microsoft.md §4 and §5 give (only Subscribed changes,
// suspends or renews; only Suspended reinstates; Unsubscribed is final;
// a pending operation locks out every other change, 409), with a message
// that says why, never a 5xx or a hang; every odd PATCH body is a 400 in
// every state, naming what is wrong.
func TestEveryStateAgainstEveryAction(t *testing.T) {
	e := newEnv(t)
	for _, a := range actions(e) {
		for state := range stateCount {
			t.Run(a.name+" on "+stateNames[state], func(t *testing.T) {
				r := a.do(e.inState(state))
				want := a.want[state]
				if r.status != want.status || !strings.Contains(answerText(r), want.text) {
					t.Fatalf("%d %s, want %d %q", r.status, r.raw, want.status, want.text)
				}
				if r.status >= 400 && strings.HasPrefix(a.name, "event ") == (r.body["code"] != nil) {
					t.Errorf("wrong envelope: %s", r.raw)
				}
			})
		}
	}
}

// TestPatchOfAFlatRatePlan: the PATCH variants that need a flat-rate
// subscription.
func TestPatchOfAFlatRatePlan(t *testing.T) {
	e := newEnv(t)
	flat := e.subscribed("basic", nil)
	for _, tc := range []struct {
		name string
		body any
		want want
	}{
		{"a quantity", map[string]any{"quantity": 3}, w(400, "Plan basic is flat-rate; only a per-seat plan has a quantity.")},
		{"a per-seat plan below its minimum", map[string]any{"planId": "enterprise-private"}, w(202, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPatch, "/"+flat, tc.body)
			if r.status != tc.want.status || !strings.Contains(answerText(r), tc.want.text) {
				t.Fatalf("%d %s, want %v", r.status, r.raw, tc.want)
			}
		})
	}
	if q := e.api(http.MethodGet, "/"+flat+"/operations", nil); q.status != 200 {
		t.Fatalf("%d %s", q.status, q.raw)
	}
}
