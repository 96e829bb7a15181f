package subscription

import "fmt"

// Reason is why the store refused a request. The fulfillment API maps each
// reason to a status and an error code in one place (its errors.go).
type Reason string

// The reasons the store refuses with.
const (
	// NotFound: no subscription with that id.
	NotFound Reason = "NotFound"
	// OperationNotFound: the subscription has no operation with that id.
	OperationNotFound Reason = "OperationNotFound"
	// Locked: an operation is InProgress on the subscription.
	Locked Reason = "Locked"
	// WrongState: the subscription's status does not allow the request.
	WrongState Reason = "WrongState"
	// Settled: the operation is no longer InProgress.
	Settled Reason = "Settled"
	// NotAllowed: allowedCustomerOperations lacks Update or Delete.
	NotAllowed Reason = "NotAllowed"
	// Invalid: the request contradicts the subscription (same plan,
	// plan or quantity other than purchased).
	Invalid Reason = "Invalid"
)

// Refusal is the store's error value: a reason and a sentence for a person.
type Refusal struct {
	Reason  Reason
	Message string
}

// Error is the reason and the message, for logs.
func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Message }

// Refuse builds a refusal.
func Refuse(reason Reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Message: fmt.Sprintf(format, args...)}
}
