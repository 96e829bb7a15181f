package microsoft

import (
	"errors"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// The observed profile (microsoft.profile: observed) reproduces what the
// live service was seen to do where Microsoft's pages say otherwise
// (docs/microsoft.md §9). Each deviation is one function below, and this
// table lists them all (the README copies it):
//
//	| where                                    | docs (default)                         | observed                                              | function                 |
//	|------------------------------------------|----------------------------------------|-------------------------------------------------------|--------------------------|
//	| GET .../{id}/operations, unknown id      | 404 EntityNotFound                     | 200 {"operations": []}                                | listOpsOfUnknownIsEmpty  |
//	| GET / PATCH .../operations/{opId},       | 404 EntityNotFound                     | 400 EntityNotFound                                    | operationNotFoundCode    |
//	|   unknown subscription or operation      |                                        |                                                       |                          |
//	| PATCH .../operations/{opId}, status      | 400 unless Success or Failure          | any text is 200 (only Success / Failure settle)       | acceptAnyAckStatus       |
//	|   other than Success / Failure           |                                        |                                                       |                          |
//	| PATCH .../operations/{opId}, settled     | 409                                    | 409 whose message holds the request id                | conflictNamesRequestID   |
//	| POST .../{id}/activate, plan / quantity  | 400 when they differ from the purchase | not checked                                           | activateChecksPurchase   |
//	| PATCH .../{id} while an operation is     | 409 Conflict                           | 400 {"code":"Failed","message":"Patch cannot be       | lockedPatchError         |
//	|   pending                                |                                        |   completed because the subscription is locked due    |                          |
//	|                                          |                                        |   to pending operations","target":"update"}           |                          |
//	| Unsubscribe of a per-seat subscription   | quantity kept                          | quantity removed                                      | unsubscribeDropsQuantity |
//
// Not reproduced in either profile: the 500 of PATCH operation on an
// operation the publisher started (the sandbox never answers 5xx; it is
// 400), and the delay before an operation appears in the list.
func (m *Marketplace) observed() bool { return m.settings.Profile == ProfileObserved }

// listOpsOfUnknownIsEmpty: list operations of an unknown subscription.
func (m *Marketplace) listOpsOfUnknownIsEmpty() bool { return m.observed() }

// operationNotFoundCode: the code of an unknown subscription or operation
// on the get and PATCH operation routes.
func (m *Marketplace) operationNotFoundCode() Code {
	if m.observed() {
		return CodeEntityNotFoundBadRequest
	}
	return CodeEntityNotFound
}

// acceptAnyAckStatus: PATCH operation with a status other than Success or
// Failure.
func (m *Marketplace) acceptAnyAckStatus() bool { return m.observed() }

// conflictNamesRequestID: the 409 of PATCH operation carries the request id.
func (m *Marketplace) conflictNamesRequestID() bool { return m.observed() }

// activateChecksPurchase: activate compares planId and quantity with the purchase.
func (m *Marketplace) activateChecksPurchase() bool { return !m.observed() }

// lockedPatchError: a publisher PATCH while an operation is pending.
func (m *Marketplace) lockedPatchError() error {
	if m.observed() {
		return newError(CodeLockedFailed, "update", "Patch cannot be completed because the subscription is locked due to pending operations")
	}
	return newError(CodeConflict, "update", "The subscription is locked by a pending operation; retry once it has completed.")
}

// unsubscribeDropsQuantity: an Unsubscribed per-seat subscription loses its quantity.
func (m *Marketplace) unsubscribeDropsQuantity() bool { return m.observed() }

// refusalError maps the store's refusals to the fulfillment API's errors:
// the one place a Reason becomes a status and a code.
func (m *Marketplace) refusalError(err error, target string) error {
	var ref *subscription.Refusal
	if !errors.As(err, &ref) {
		return err
	}
	code := map[subscription.Reason]Code{
		subscription.NotFound:          CodeEntityNotFound,
		subscription.OperationNotFound: CodeEntityNotFound,
		subscription.Locked:            CodeConflict,
		subscription.WrongState:        CodeBadRequest,
		subscription.Settled:           CodeConflict,
		subscription.NotAllowed:        CodeBadRequest,
		subscription.Invalid:           CodeBadRequest,
	}[ref.Reason]
	if code == "" {
		code = CodeBadRequest
	}
	return newError(code, target, ref.Message)
}
