package microsoft

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// patchSubscription is PATCH /api/saas/subscriptions/{id} with a new
// planId or a new quantity, not both (docs/microsoft.md §4). The change
// stays InProgress for microsoft.operation_delay, then applies and the
// publisher gets its webhook (source Partner).
func (m *Marketplace) patchSubscription(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		return err
	}
	body, err := m.readBody(r)
	if err != nil {
		return err
	}
	obj, err := jsonObject(body, "update")
	if err != nil {
		return err
	}
	planID, hasPlan, err := stringField(obj, "planId", "planId")
	if err != nil {
		return err
	}
	quantity, hasQuantity, err := quantityField(obj)
	if err != nil {
		return err
	}
	switch {
	case hasPlan && hasQuantity:
		return newError(CodeBadRequest, "update", "Cannot patch more than one field in the same request")
	case !hasPlan && !hasQuantity:
		return newError(CodeBadRequest, "update", "The body must give planId or quantity.")
	}
	check := func(cur subscription.Subscription) error {
		if err := cur.CheckChangeable(); err != nil {
			return m.refusalError(err, "update")
		}
		if !cur.Allows(subscription.AllowUpdate) {
			return newError(CodeBadRequest, "update", fmt.Sprintf("Update is not in the allowedCustomerOperations of subscription %s.", cur.ID))
		}
		return nil
	}
	if err := check(s); err != nil {
		return err
	}
	var change subscription.Change
	if hasPlan {
		change, err = m.planChange(s, planID)
	} else {
		change, err = m.quantityChange(s, quantity)
	}
	if err != nil {
		return err
	}
	op := m.newOperation(s, change, subscription.SourcePartner)
	op, _, err = m.subs.Begin(s.ID, op, change, func(cur subscription.Subscription) error { return check(cur) })
	if err != nil {
		if isLocked(err) {
			return m.lockedPatchError()
		}
		return m.refusalError(err, "update")
	}
	m.scheduleCompletion(s.ID, op.ID)
	w.Header().Set("Operation-Location", operationLocation(baseURL(r), s.ID, op.ID))
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func isLocked(err error) bool {
	ref, ok := err.(*subscription.Refusal)
	return ok && ref.Reason == subscription.Locked
}

// planChange checks a change of plan against the offer (docs/microsoft.md
// §4's texts): another plan of the same offer, with the quantity the new
// plan allows (a flat-rate plan has none; a per-seat plan keeps the
// quantity, or starts at its minimum).
func (m *Marketplace) planChange(s subscription.Subscription, planID string) (subscription.Change, error) {
	if planID == s.PlanID {
		return subscription.Change{}, newError(CodeBadRequest, "planId", fmt.Sprintf("SaaS subscription %s is already subscribed to plan %s. Changing plans only supported between two different plans", s.Name, planID))
	}
	plan, ok := m.catalog.plan(s.OfferID, planID)
	if !ok || plan.IsStopSell {
		return subscription.Change{}, newError(CodeBadRequest, "update", "Request Plan is NOT in Catalog.")
	}
	q := 0
	if plan.IsPricePerSeat {
		q = s.Quantity
		if q == 0 {
			q = plan.MinQuantity
		}
		if err := seatsInRange(plan, int64(q), "; change the quantity first"); err != nil {
			return subscription.Change{}, err
		}
	}
	return subscription.Change{Action: subscription.ActionChangePlan, PlanID: planID, Quantity: q}, nil
}

// quantityChange checks a change of seats against the current plan.
func (m *Marketplace) quantityChange(s subscription.Subscription, q int64) (subscription.Change, error) {
	plan, _ := m.catalog.plan(s.OfferID, s.PlanID)
	if !plan.IsPricePerSeat {
		return subscription.Change{}, newError(CodeBadRequest, "quantity", fmt.Sprintf("Plan %s is flat-rate; only a per-seat plan has a quantity.", s.PlanID))
	}
	if err := seatsInRange(plan, q, ""); err != nil {
		return subscription.Change{}, err
	}
	if int(q) == s.Quantity {
		return subscription.Change{}, newError(CodeBadRequest, "quantity", fmt.Sprintf("SaaS subscription %s already has quantity %d.", s.Name, q))
	}
	return subscription.Change{Action: subscription.ActionChangeQuantity, PlanID: s.PlanID, Quantity: int(q)}, nil
}

// deleteSubscription is DELETE /api/saas/subscriptions/{id}: the
// unsubscribe completes after microsoft.operation_delay; meanwhile a
// second DELETE or a PATCH is refused (docs/microsoft.md §4).
func (m *Marketplace) deleteSubscription(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		return err
	}
	check := func(cur subscription.Subscription) error {
		if !cur.Allows(subscription.AllowDelete) {
			return newError(CodeBadRequest, "delete", fmt.Sprintf("Delete is not in the allowedCustomerOperations of subscription %s.", cur.ID))
		}
		if cur.SaasSubscriptionStatus == subscription.Unsubscribed {
			return newError(CodeBadRequest, "delete", fmt.Sprintf("Subscription %s is already unsubscribed.", cur.ID))
		}
		return nil
	}
	change := subscription.Change{Action: subscription.ActionUnsubscribe, PlanID: s.PlanID, Quantity: s.Quantity, DropQuantity: m.unsubscribeDropsQuantity()}
	op, _, err := m.subs.Begin(s.ID, m.newOperation(s, change, subscription.SourcePartner), change, check)
	if err != nil {
		if isLocked(err) {
			return newError(CodeConflict, "delete", "The subscription is locked by a pending operation; retry once it has completed.")
		}
		return m.refusalError(err, "delete")
	}
	m.scheduleCompletion(s.ID, op.ID)
	w.Header().Set("Operation-Location", operationLocation(baseURL(r), s.ID, op.ID))
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// operationsAnswer is the answer of list operations.
type operationsAnswer struct {
	Operations []subscription.Operation `json:"operations"`
}

// listOperations is GET /api/saas/subscriptions/{id}/operations: the
// operations InProgress (docs/microsoft.md §4).
func (m *Marketplace) listOperations(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		if isNotFound(err) && m.listOpsOfUnknownIsEmpty() {
			writeJSON(w, http.StatusOK, operationsAnswer{Operations: []subscription.Operation{}})
			return nil
		}
		return err
	}
	ops, err := m.subs.Operations(s.ID, true)
	if err != nil {
		return m.refusalError(err, "subscriptionId")
	}
	writeJSON(w, http.StatusOK, operationsAnswer{Operations: ops})
	return nil
}

func isNotFound(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == CodeEntityNotFound
}

// operationOf finds the path's operation of the caller's subscription;
// unknown ones answer operationNotFoundCode.
func (m *Marketplace) operationOf(r *http.Request, c caller) (subscription.Operation, error) {
	s, err := m.owned(r, c)
	if err != nil {
		if isNotFound(err) {
			err.(*Error).Code = m.operationNotFoundCode()
		}
		return subscription.Operation{}, err
	}
	op, err := m.subs.Operation(s.ID, strings.ToLower(mux.Vars(r)["operationId"])) // a GUID: any case
	if err != nil {
		e := m.refusalError(err, "operationId").(*Error)
		e.Code = m.operationNotFoundCode()
		return subscription.Operation{}, e
	}
	return op, nil
}

// getOperation is GET /api/saas/subscriptions/{id}/operations/{opId}.
func (m *Marketplace) getOperation(w http.ResponseWriter, r *http.Request, c caller) error {
	op, err := m.operationOf(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, op)
	return nil
}

// patchOperation is PATCH /api/saas/subscriptions/{id}/operations/{opId}
// {status: Success | Failure}: the publisher's answer to a customer's
// change (docs/microsoft.md §6, the ACK). Success applies the change,
// Failure leaves the subscription as it was.
func (m *Marketplace) patchOperation(w http.ResponseWriter, r *http.Request, c caller) error {
	op, err := m.operationOf(r, c)
	if err != nil {
		return err
	}
	body, err := m.readBody(r)
	if err != nil {
		return err
	}
	obj, err := jsonObject(body, "status")
	if err != nil {
		return err
	}
	status, _, err := stringField(obj, "status", "status")
	if err != nil {
		return err
	}
	var outcome subscription.OperationStatus
	switch status {
	case "Success":
		outcome = subscription.OpSucceeded
	case "Failure":
		outcome = subscription.OpFailed
	default:
		if m.acceptAnyAckStatus() {
			w.WriteHeader(http.StatusOK)
			return nil
		}
		return newError(CodeBadRequest, "status", "status must be Success or Failure.")
	}
	if op.OperationRequestSource == subscription.SourcePartner {
		return newError(CodeBadRequest, "operationId", fmt.Sprintf("Operation %s was started by the publisher (operationRequestSource Partner); only operations Microsoft started are acknowledged.", op.ID))
	}
	if _, err := m.subs.Settle(op.SubscriptionID, op.ID, outcome, "Failure reported by the publisher", m.now()); err != nil {
		e := m.refusalError(err, "operationId").(*Error)
		if m.conflictNamesRequestID() && e.Code == CodeConflict {
			e.Message += " Request id: " + requestIDOf(w, r)
		}
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// requestIDOf is the request id answered in x-ms-requestid.
func requestIDOf(w http.ResponseWriter, r *http.Request) string {
	if id := w.Header().Get(HeaderRequestID); id != "" {
		return id
	}
	return requestid.From(r.Context())
}

// newOperation is an operation of s for change, not yet started.
func (m *Marketplace) newOperation(s subscription.Subscription, change subscription.Change, source subscription.Source) subscription.Operation {
	return subscription.Operation{
		ID: subscription.NewID(), ActivityID: subscription.NewID(), SubscriptionID: s.ID,
		OfferID: s.OfferID, PublisherID: s.PublisherID, PlanID: change.PlanID, Quantity: change.Quantity,
		Action: change.Action, TimeStamp: m.now(), OperationRequestSource: source,
	}
}

// planOf is the catalogue entry of the subscription's plan.
func (m *Marketplace) planOf(s subscription.Subscription) fixtures.Plan {
	p, _ := m.catalog.plan(s.OfferID, s.PlanID)
	return p
}
