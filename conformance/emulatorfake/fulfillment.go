package emulatorfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// This file holds the subscription routes of src/subscription-api-impl.ts.

func notFoundSubscription(sid string) *reply {
	return errorResponse(http.StatusNotFound, "EntityNotFound", "Subscription "+sid+" not found", "subscriptionId")
}

// resolve is resolveApi: the first resolve of an id creates the
// subscription from the token; later ones return the stored one and
// ignore the rest of the token. Tokens never expire and offer and plan
// are not checked.
func (e *Emulator) resolve(r *http.Request) *reply {
	token := r.Header.Get("x-ms-marketplace-token")
	if token == "" {
		return errorResponse(http.StatusBadRequest, "HeaderNotPresent", "Mandatory header missing", "x-ms-marketplace-token")
	}
	decoded, ok := decodePurchaseToken(token)
	if !ok {
		return errorResponse(http.StatusBadRequest, "InvalidValue", "Failed to decode token", "token")
	}
	fields, _ := decoded.(map[string]any)
	id, _ := fields["id"].(string)
	if id == "" {
		return messageOnly(http.StatusBadRequest, "Marketplace token requires an id")
	}
	pid := publisherOf(r)
	var sub map[string]any
	e.state.do(func(d *data) {
		if rec := d.find(pid, id); rec != nil {
			sub = cloneJSON(rec.sub)
			return
		}
		created := newSubscription(fields, pid, time.Now())
		d.add(pid, created)
		sub = cloneJSON(created)
	})
	body := map[string]any{
		"id": sub["id"], "offerId": sub["offerId"], "planId": sub["planId"],
		"subscriptionName": sub["name"], "subscription": sub,
	}
	if q, ok := sub["quantity"]; ok {
		body["quantity"] = q
	}
	return jsonAnswer(http.StatusOK, body)
}

// activate is activateApi. Unlike the live API it checks planId, and it
// succeeds on Subscribed and Suspended too (a Suspended subscription comes
// back Subscribed). The term's start and end both become now + termUnit,
// because moment's add mutates the one object both are taken from.
func (e *Emulator) activate(r *http.Request) *reply {
	body, _, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	planID, _ := body["planId"].(string)
	if planID == "" {
		return jsonAnswer(http.StatusBadRequest, map[string]any{
			"code": "Bad Argument", "message": "planId is required", "target": "planId",
			"details": map[string]any{"code": "RequiredField", "message": "planId is required", "target": "planId"},
		})
	}
	pid, sid := publisherOf(r), mux.Vars(r)["subscriptionId"]
	var rep *reply
	e.state.do(func(d *data) {
		rec := d.find(pid, sid)
		if rec == nil || rec.status() == Unsubscribed {
			rep = statusAnswer(http.StatusNotFound)
			return
		}
		if rec.sub["planId"] != planID {
			rep = messageOnly(http.StatusBadRequest, "Plan "+planID+" does not match the purchased plan")
			return
		}
		term, _ := rec.sub["term"].(map[string]any)
		if term == nil {
			term = map[string]any{}
		}
		unit, _ := term["termUnit"].(string)
		if unit == "" {
			unit = "P1M"
		}
		at := isoTime(addISODuration(time.Now(), unit))
		term["startDate"], term["endDate"] = at, at
		rec.sub["term"] = term
		rec.sub["saasSubscriptionStatus"] = Subscribed
		rep = statusAnswer(http.StatusOK)
	})
	return rep
}

// listSubscriptions is getSubscriptionsApi: every state, this publisher,
// no paging and no @nextLink.
func (e *Emulator) listSubscriptions(r *http.Request) *reply {
	subs := []any{}
	e.state.do(func(d *data) {
		if p := d.publishers[publisherOf(r)]; p != nil {
			for _, id := range p.order {
				subs = append(subs, cloneJSON(p.subs[id].sub))
			}
		}
	})
	return jsonAnswer(http.StatusOK, map[string]any{"subscriptions": subs})
}

func (e *Emulator) getSubscription(r *http.Request) *reply {
	sid := mux.Vars(r)["subscriptionId"]
	rep := notFoundSubscription(sid)
	e.state.do(func(d *data) {
		if rec := d.find(publisherOf(r), sid); rec != nil {
			rep = jsonAnswer(http.StatusOK, cloneJSON(rec.sub))
		}
	})
	return rep
}

// updateSubscription is updateSubscriptionApi: a Partner operation that
// always succeeds after operationTimeoutMS and sends no webhook.
func (e *Emulator) updateSubscription(r *http.Request) *reply {
	body, _, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	pid, sid := publisherOf(r), mux.Vars(r)["subscriptionId"]
	var rep *reply
	var op Operation
	e.state.do(func(d *data) {
		rec := d.find(pid, sid)
		switch {
		case rec == nil:
			rep = notFoundSubscription(sid)
			return
		case rec.status() != Subscribed:
			rep = errorResponse(http.StatusBadRequest, "BadRequest", "Subscription is not active", "update")
			return
		}
		change, invalid := d.validateChange(rec, body)
		switch {
		case invalid != nil && invalid.coded:
			rep = errorResponse(http.StatusBadRequest, "BadRequest", invalid.fulfillment, "update")
			return
		case invalid != nil:
			rep = messageOnly(http.StatusBadRequest, invalid.fulfillment)
			return
		}
		for _, o := range rec.ops {
			if o.Status == InProgress {
				rep = errorResponse(http.StatusBadRequest, "Failed",
					"Patch cannot be completed because the subscription is locked due to pending operations", "update")
				return
			}
		}
		stored := changeOperation(pid, rec, change, "Partner", body)
		rec.ops = append(rec.ops, &stored)
		op = stored
	})
	if rep != nil {
		return rep
	}
	e.after(e.state.delay("operationTimeoutMS"), func() { e.settle(pid, sid, op.ID, Succeeded) })
	return accepted(r, sid, op.ID, r.URL.Query().Get("api-version"), true)
}

// deleteSubscription is deleteSubscriptionApi: 202 in any state, never
// 409; the Unsubscribe operation is stored already Succeeded, and the
// state changes only from Subscribed or Suspended.
func (e *Emulator) deleteSubscription(r *http.Request) *reply {
	pid, sid := publisherOf(r), mux.Vars(r)["subscriptionId"]
	var op *Operation
	e.state.do(func(d *data) {
		if rec := d.find(pid, sid); rec != nil {
			o := newOperation(pid, rec, "Unsubscribe", "Partner", Succeeded)
			rec.ops = append(rec.ops, &o)
			op = &o
		}
	})
	if op == nil {
		return notFoundSubscription(sid)
	}
	e.queueUpdate(*op)
	return accepted(r, sid, op.ID, r.URL.Query().Get("api-version"), true)
}

// listAvailablePlans is listAvailablePlansApi: an unknown subscription is
// 200 with a bare empty array; a known one {"plans":[...]} from the
// catalogue, filtered by ?planId= as newer versions do.
func (e *Emulator) listAvailablePlans(r *http.Request) *reply {
	pid, sid := publisherOf(r), mux.Vars(r)["subscriptionId"]
	filter := r.URL.Query().Get("planId")
	rep := jsonAnswer(http.StatusOK, []any{})
	e.state.do(func(d *data) {
		rec := d.find(pid, sid)
		if rec == nil {
			return
		}
		plans := []any{}
		offerID, _ := rec.sub["offerId"].(string)
		if offer, ok := d.offers[offerID]; ok {
			for _, key := range sortedKeys(offer.plans()) {
				plan := offer.plans()[key]
				if m, _ := plan.(map[string]any); filter != "" && (m == nil || m["planId"] != filter) {
					continue
				}
				plans = append(plans, cloneJSON(plan))
			}
		}
		rep = jsonAnswer(http.StatusOK, map[string]any{"plans": plans})
	})
	return rep
}

// A validation result of validateNewPlanAndQuantity as this fake words
// it on the fulfillment route (PATCH subscription, where only an empty
// change and a plan not in the catalogue carry code BadRequest and target
// update, as on the emulator) and on the event route (plain text). The
// two coded messages are the ones the research quotes; the others are
// this fake's words.
type invalidChange struct {
	fulfillment, event string
	coded              bool
}

var (
	changeContentNull  = invalidChange{"The request content is null", "No valid planId or quantity", true}
	changeBothFields   = invalidChange{"Only one of planId or quantity can be changed at a time", "Only one of planId or quantity can be changed at a time", false}
	changeTooMany      = invalidChange{"Quantity must be less than 10000000", "Quantity must be less than 10000000", false}
	changeSameQuantity = invalidChange{"Quantity is the same as the current quantity", "Quantity is the same as the current quantity", false}
	changeSamePlan     = invalidChange{"Plan is the same as the current plan", "Plan is the same as the current plan", false}
	changeNotInCatalog = invalidChange{"Request Plan is NOT in Catalog.", "Request Plan is NOT in Catalog.", true}
)

// validateChange is validateNewPlanAndQuantity: planId or quantity, not
// both (a null is taken as absent: the emulator throws on it and never
// answers); a plan that is
// not blank, not the current one and in the offer; a quantity that is a
// number above 0, under ten million and not the current one. It names the
// operation the change raises, or why it is refused.
func (d *data) validateChange(rec *record, body map[string]any) (string, *invalidChange) {
	planID, hasPlan := body["planId"]
	quantity, hasQuantity := body["quantity"]
	hasPlan, hasQuantity = hasPlan && planID != nil, hasQuantity && quantity != nil
	switch {
	case !hasPlan && !hasQuantity:
		return "", &changeContentNull
	case hasPlan && hasQuantity:
		return "", &changeBothFields
	case hasQuantity:
		n, ok := jsNumber(quantity)
		switch {
		case !ok || n <= 0:
			return "", &changeContentNull
		case n >= 10_000_000:
			return "", &changeTooMany
		}
		if q, ok := rec.sub["quantity"]; ok && q == quantity {
			return "", &changeSameQuantity
		}
		return "ChangeQuantity", nil
	}
	name, _ := planID.(string)
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &changeContentNull
	case rec.sub["planId"] == name:
		return "", &changeSamePlan
	}
	offerID, _ := rec.sub["offerId"].(string)
	for _, p := range d.offers[offerID].plans() {
		if m, _ := p.(map[string]any); m != nil && m["planId"] == name {
			return "ChangePlan", nil
		}
	}
	return "", &changeNotInCatalog
}

// newOperation starts an operation on rec. It carries no quantity (the
// emulator's operations and webhooks have one only for ChangeQuantity, set
// by the caller's change), and a ChangePlan's planId is filled in there.
func newOperation(pid string, rec *record, action, source, status string) Operation {
	op := Operation{
		ID: newUUID(), OperationRequestedSource: source, ActivityID: newUUID(),
		SubscriptionID: fmt.Sprint(rec.sub["id"]), OfferID: rec.sub["offerId"], PublisherID: pid,
		PlanID: rec.sub["planId"], Action: action,
		TimeStamp: isoTime(time.Now()), Status: status,
	}
	return op
}

// changeOperation starts a ChangePlan or ChangeQuantity carrying the new
// value: a raised ChangePlan's planId is the new plan.
func changeOperation(pid string, rec *record, action, source string, body map[string]any) Operation {
	op := newOperation(pid, rec, action, source, InProgress)
	if action == "ChangePlan" {
		op.PlanID = body["planId"]
	} else {
		op.Quantity = body["quantity"]
	}
	return op
}

// accepted is the 202 of a started operation: an absolute
// Operation-Location and, on the fulfillment routes, Operation-Id.
func accepted(r *http.Request, sid, opID, apiVersion string, withID bool) *reply {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	loc := fmt.Sprintf("%s://%s/api/saas/subscriptions/%s/operations/%s?api-version=%s",
		scheme, r.Host, url.PathEscape(sid), url.PathEscape(opID), apiVersion)
	rep := statusAnswer(http.StatusAccepted)
	rep.header = http.Header{"Operation-Location": {loc}}
	if withID {
		rep.header.Set("Operation-Id", opID)
	}
	return rep
}
