package emulatorfake

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"
)

// This file holds the marketplace-event routes of src/webhook-api.ts and
// the webhook calls of src/webhook-api-impl.ts.

// eventAllowed lists the states in which each event is raised; in any
// other state doWebhookOperationAsync returns without answering.
var eventAllowed = map[string][]string{
	"ChangePlan":     {Subscribed},
	"ChangeQuantity": {Subscribed},
	"Suspend":        {Subscribed},
	"Reinstate":      {Suspended},
	"Renew":          {Subscribed},
	"Unsubscribe":    {Subscribed, Suspended},
}

// changeEvent is PATCH /api/webhook/subscription/{id} with {planId} or
// {quantity}: the publisher PATCH's checks, answered as text.
func (e *Emulator) changeEvent(r *http.Request) *reply {
	body, _, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	return e.raise(r, "", body)
}

// lifecycleEvent is POST /api/webhook/subscription/{id}/{action}.
func (e *Emulator) lifecycleEvent(action string) func(*http.Request) *reply {
	return func(r *http.Request) *reply { return e.raise(r, action, nil) }
}

// raise is doWebhookOperationAsync. The subscription is looked up in
// every publisher; the pending-operation lock is not checked. Every
// event is stored InProgress and answered 202; on the webhook timer a
// non-ACKable one becomes Succeeded and its change is queued before the
// webhook is called; ChangePlan and ChangeQuantity wait for the answer.
func (e *Emulator) raise(r *http.Request, action string, body map[string]any) *reply {
	sid := mux.Vars(r)["subscriptionId"]
	var rep *reply
	var op Operation
	var before map[string]any
	e.state.do(func(d *data) {
		pid, rec := d.findAnywhere(sid)
		if rec == nil {
			rep = statusAnswer(http.StatusNotFound)
			return
		}
		if action == "" {
			change, invalid := d.validateChange(rec, body)
			if invalid != nil {
				rep = textAnswer(http.StatusBadRequest, invalid.event)
				return
			}
			action = change
		}
		if !contains(eventAllowed[action], rec.status()) {
			rep = &reply{kind: hangReply}
			return
		}
		before = cloneJSON(rec.sub)
		if action == "ChangePlan" || action == "ChangeQuantity" {
			op = changeOperation(pid, rec, action, "Azure", body)
		} else {
			op = newOperation(pid, rec, action, "Azure", InProgress)
		}
		stored := op
		rec.ops = append(rec.ops, &stored)
	})
	if rep != nil {
		return rep
	}
	e.after(e.state.delay("webhookCallDelayMS"), func() {
		if !op.ackable() {
			// doWebhookCallAsync: a notify-only operation succeeds, and its
			// change is queued, only when the webhook timer fires.
			op.Status = Succeeded
			e.settle(op.PublisherID, op.SubscriptionID, op.ID, Succeeded)
		}
		e.callWebhook(op, before)
	})
	return accepted(r, sid, op.ID, headerOrUndefined(r, "api-version"), false)
}

// headerOrUndefined is a header as a JavaScript template literal prints
// it: the emulator takes the event's api-version from a request header,
// so without one its Operation-Location ends in api-version=undefined.
func headerOrUndefined(r *http.Request, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return "undefined"
}

// webhookPayload is {...operation, subscription, purchaseToken: null}.
func webhookPayload(op Operation, before map[string]any) []byte {
	fields := map[string]any{}
	b, _ := json.Marshal(op)
	_ = json.Unmarshal(b, &fields)
	fields["subscription"] = before
	fields["purchaseToken"] = nil
	out, _ := json.Marshal(fields)
	return out
}

// callWebhook is callWebhook: one POST to webhookUrl exactly as set, no
// Authorization (the Entra credentials stay unset), no retry, no timeout.
// For an ACKable operation a 2xx starts the auto-accept wait; anything
// else, or no answer, fails it at once. Without a URL nothing is sent and
// an ACKable operation stays InProgress.
func (e *Emulator) callWebhook(op Operation, before map[string]any) {
	target := e.state.webhookURL()
	if target == "" {
		return
	}
	e.state.do(func(d *data) { d.inFlight[op.ID] = true })
	ok := e.post(target, webhookPayload(op, before))
	e.state.do(func(d *data) { delete(d.inFlight, op.ID) })
	if !op.ackable() {
		return
	}
	if !ok {
		e.settle(op.PublisherID, op.SubscriptionID, op.ID, Failed)
		return
	}
	e.after(e.state.delay("webhookCallPatchDelayMS"), func() {
		e.acceptIfInProgress(op.PublisherID, op.SubscriptionID, op.ID)
	})
}

// post reports whether the webhook answered 2xx.
func (e *Emulator) post(target string, payload []byte) bool {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
