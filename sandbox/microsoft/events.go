package microsoft

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// eventRequest is the body of POST /_sandbox/microsoft/subscriptions/{id}/events:
// something the customer or Microsoft does (docs/microsoft.md §5).
type eventRequest struct {
	Action   *string
	PlanID   *string
	Quantity *int
}

// event is POST /_sandbox/microsoft/subscriptions/{id}/events. A change of
// plan or quantity is InProgress until the publisher answers (PATCH of
// the operation, or a 4xx to its webhook) or microsoft.ack_window passes;
// the others apply at once and notify. A state that does not allow the
// event is 409; a pending operation too.
func (m *Marketplace) event(r *http.Request) (any, error) {
	id := mux.Vars(r)["id"]
	s, err := m.subs.Get(id)
	if err != nil {
		return nil, controlNotFound("No subscription %s.", id)
	}
	var req eventRequest
	if err := m.bodyFields(r, map[string]func(json.RawMessage) error{
		"action": setString(&req.Action), "planId": setString(&req.PlanID), "quantity": setInt(&req.Quantity),
	}); err != nil {
		return nil, err
	}
	action, err := checkEvent(req)
	if err != nil {
		return nil, err
	}
	var op subscription.Operation
	// The event and the first attempt of its webhook, before the answer:
	// the webhook is due at once, and the advance fires and waits for it,
	// so a test that reads the webhooks after a 202 finds the attempt
	// made. Left to the clock's Run loop it would race the next call
	// (and an advance would not wait for it: it could be the receiver's).
	_, advanceErr := m.clock.AdvanceAfter(r.Context(), func() error {
		op, err = m.applyEvent(s, action, req)
		return err
	}, 0, maxFiredPerControlCall)
	if advanceErr != nil {
		return nil, eventError(advanceErr)
	}
	return answer{status: http.StatusAccepted, body: map[string]string{"operationId": op.ID}}, nil
}

// maxFiredPerControlCall bounds the jobs one control call runs on the
// clock (the due webhook and whatever else is due by now).
const maxFiredPerControlCall = 1000

// applyEvent is the marketplace-side change an event asks for.
func (m *Marketplace) applyEvent(s subscription.Subscription, action subscription.Action, req eventRequest) (op subscription.Operation, err error) {
	switch action {
	case subscription.ActionChangePlan, subscription.ActionChangeQuantity:
		op, err = m.customerChange(s, req)
	case subscription.ActionSuspend:
		now := m.now()
		op, err = m.notify(s, action, func(x *subscription.Subscription) error { return x.Suspend(now) }, true)
	case subscription.ActionReinstate:
		op, err = m.notify(s, action, func(x *subscription.Subscription) error { return x.Reinstate() }, true)
	case subscription.ActionUnsubscribe:
		drop := m.unsubscribeDropsQuantity()
		op, err = m.notify(s, action, func(x *subscription.Subscription) error { return x.Unsubscribe(drop) }, true)
	case subscription.ActionRenew:
		// A Renew event renews now: the new term starts today.
		now := m.now()
		op, err = m.notify(s, action, func(x *subscription.Subscription) error { return x.Renew(now) }, true)
	}
	return op, err
}

// checkEvent checks the body's shape: a known action, with planId for
// ChangePlan, quantity for ChangeQuantity, and neither otherwise.
func checkEvent(req eventRequest) (subscription.Action, error) {
	var problems []FieldProblem
	if req.Action == nil {
		return "", controlInvalid([]FieldProblem{{Field: "action", Message: "is required: one of ChangePlan, ChangeQuantity, Suspend, Reinstate, Unsubscribe, Renew"}})
	}
	action := subscription.Action(*req.Action)
	known := false
	for _, a := range subscription.Actions {
		known = known || a == action
	}
	if !known {
		return "", controlInvalid([]FieldProblem{{Field: "action", Message: fmt.Sprintf("%q is not one of ChangePlan, ChangeQuantity, Suspend, Reinstate, Unsubscribe, Renew", *req.Action)}})
	}
	if action == subscription.ActionChangePlan && req.PlanID == nil {
		problems = append(problems, FieldProblem{Field: "planId", Message: "is required for ChangePlan"})
	}
	if action != subscription.ActionChangePlan && req.PlanID != nil {
		problems = append(problems, FieldProblem{Field: "planId", Message: "is only for ChangePlan"})
	}
	if action == subscription.ActionChangeQuantity && req.Quantity == nil {
		problems = append(problems, FieldProblem{Field: "quantity", Message: "is required for ChangeQuantity"})
	}
	if action != subscription.ActionChangeQuantity && req.Quantity != nil {
		problems = append(problems, FieldProblem{Field: "quantity", Message: "is only for ChangeQuantity"})
	}
	if len(problems) > 0 {
		return "", controlInvalid(problems)
	}
	return action, nil
}

// customerChange starts a change the customer made in Microsoft's portal:
// its webhook goes out InProgress and needs the publisher's ACK.
func (m *Marketplace) customerChange(s subscription.Subscription, req eventRequest) (subscription.Operation, error) {
	if err := s.CheckChangeable(); err != nil {
		return subscription.Operation{}, err
	}
	var change subscription.Change
	var err error
	if req.PlanID != nil {
		change, err = m.planChange(s, *req.PlanID)
	} else {
		change, err = m.quantityChange(s, int64(*req.Quantity))
	}
	if err != nil {
		e := err.(*Error)
		return subscription.Operation{}, controlInvalid([]FieldProblem{{Field: e.Target, Message: e.Message}})
	}
	op, before, err := m.subs.Begin(s.ID, m.newOperation(s, change, subscription.SourceAzure), change,
		func(cur subscription.Subscription) error { return cur.CheckChangeable() })
	if err != nil {
		return op, err
	}
	m.sendWebhook(op, before, true)
	m.scheduleAck(s.ID, op.ID)
	return op, nil
}

// eventError turns the store's refusal of an event into the control
// API's 409 (wrong state, pending operation).
func eventError(err error) error {
	if ref, ok := err.(*subscription.Refusal); ok {
		switch ref.Reason {
		case subscription.NotFound:
			return controlNotFound("%s", ref.Message)
		case subscription.WrongState, subscription.Locked:
			return controlConflict("%s", ref.Message)
		}
		return controlInvalid([]FieldProblem{{Field: "action", Message: ref.Message}})
	}
	return err
}
