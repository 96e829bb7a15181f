// Package subscription is the fake commercial marketplace's SaaS
// subscriptions: their wire shape (docs/microsoft.md §3), their state
// machine (§5: PendingFulfillmentStart → Subscribed ⇄ Suspended →
// Unsubscribed), their operations and a store that applies every
// transition atomically.
package subscription

import (
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// Status is a subscription's saasSubscriptionStatus.
type Status string

// The statuses of docs/microsoft.md §3. NotStarted is in Microsoft's enum
// but no subscription of the sandbox is ever in it: a purchase starts
// PendingFulfillmentStart.
const (
	NotStarted              Status = "NotStarted"
	PendingFulfillmentStart Status = "PendingFulfillmentStart"
	Subscribed              Status = "Subscribed"
	Suspended               Status = "Suspended"
	Unsubscribed            Status = "Unsubscribed"
)

// Action is what an operation does.
type Action string

// The actions of operations and webhooks (docs/microsoft.md §3, §6).
const (
	ActionUnsubscribe    Action = "Unsubscribe"
	ActionChangePlan     Action = "ChangePlan"
	ActionChangeQuantity Action = "ChangeQuantity"
	ActionSuspend        Action = "Suspend"
	ActionReinstate      Action = "Reinstate"
	ActionRenew          Action = "Renew"
)

// Actions lists every action, in the order the docs list them.
var Actions = []Action{ActionChangePlan, ActionChangeQuantity, ActionSuspend, ActionReinstate, ActionUnsubscribe, ActionRenew}

// OperationStatus is the status of an operation.
type OperationStatus string

// The operation statuses of docs/microsoft.md §3.
const (
	OpNotStarted OperationStatus = "NotStarted"
	OpInProgress OperationStatus = "InProgress"
	OpSucceeded  OperationStatus = "Succeeded"
	OpFailed     OperationStatus = "Failed"
	OpConflict   OperationStatus = "Conflict"
)

// Source says who started an operation (the webhook's operationRequestSource).
type Source string

// The two sources: the customer through Microsoft, or the publisher.
const (
	SourceAzure   Source = "Azure"
	SourcePartner Source = "Partner"
)

// Customer operations a subscription may allow (allowedCustomerOperations).
const (
	AllowRead   = "Read"
	AllowUpdate = "Update"
	AllowDelete = "Delete"
)

// Identity is a purchaser or beneficiary (the AadIdentifier schema).
type Identity struct {
	EmailID  string `json:"emailId"`
	ObjectID string `json:"objectId"`
	TenantID string `json:"tenantId"`
	PUID     string `json:"puid"`
}

// Term is the current billing term. Before activation it has only its
// unit; startDate is the activation day (00:00 UTC) and endDate the last
// day of the term, so the term is over at endDate + 1 day.
type Term struct {
	StartDate *time.Time `json:"startDate,omitempty"`
	EndDate   *time.Time `json:"endDate,omitempty"`
	TermUnit  string     `json:"termUnit"`
	// ChargeDuration is how often the term is charged; the sandbox
	// charges each term once, so it is the term unit.
	ChargeDuration string `json:"chargeDuration,omitempty"`
}

// Subscription is a SaaS subscription as the fulfillment API shows it
// (docs/microsoft.md §3). Quantity is 0, and so absent, for flat-rate plans.
type Subscription struct {
	ID                        string    `json:"id"`
	PublisherID               string    `json:"publisherId"`
	OfferID                   string    `json:"offerId"`
	Name                      string    `json:"name"`
	SaasSubscriptionStatus    Status    `json:"saasSubscriptionStatus"`
	Beneficiary               Identity  `json:"beneficiary"`
	Purchaser                 Identity  `json:"purchaser"`
	PlanID                    string    `json:"planId"`
	Quantity                  int       `json:"quantity,omitempty"`
	Term                      Term      `json:"term"`
	AutoRenew                 bool      `json:"autoRenew"`
	IsTest                    bool      `json:"isTest"`
	IsFreeTrial               bool      `json:"isFreeTrial"`
	AllowedCustomerOperations []string  `json:"allowedCustomerOperations"`
	SessionID                 string    `json:"sessionId"`
	FulfillmentID             string    `json:"fulfillmentId"`
	StoreFront                string    `json:"storeFront"`
	SandboxType               string    `json:"sandboxType"`
	Created                   time.Time `json:"created"`
	SessionMode               string    `json:"sessionMode"`

	// trialEnds is when a free trial converts; suspendedAt when the
	// subscription was suspended (the 30-day rule counts from it).
	trialEnds   time.Time
	suspendedAt time.Time
}

// Allows reports whether the subscription allows the customer operation.
func (s Subscription) Allows(op string) bool {
	for _, a := range s.AllowedCustomerOperations {
		if a == op {
			return true
		}
	}
	return false
}

// TrialEnds is when the free trial converts (zero when there is none, or
// before activation).
func (s Subscription) TrialEnds() time.Time { return s.trialEnds }

// SuspendedAt is when the subscription was last suspended (zero unless
// Suspended).
func (s Subscription) SuspendedAt() time.Time { return s.suspendedAt }

// TermOver is the instant the current term is over (zero before activation).
func (s Subscription) TermOver() time.Time {
	if s.Term.EndDate == nil {
		return time.Time{}
	}
	return s.Term.EndDate.AddDate(0, 0, 1)
}

// clone copies the subscription with its slices and pointers.
func (s Subscription) clone() Subscription {
	s.AllowedCustomerOperations = append([]string(nil), s.AllowedCustomerOperations...)
	if s.Term.StartDate != nil {
		t := *s.Term.StartDate
		s.Term.StartDate = &t
	}
	if s.Term.EndDate != nil {
		t := *s.Term.EndDate
		s.Term.EndDate = &t
	}
	return s
}

// Operation is one operation on a subscription (docs/microsoft.md §3).
// ErrorStatusCode and ErrorMessage say why a Failed or Conflict one did
// not apply.
type Operation struct {
	ID                     string          `json:"id"`
	ActivityID             string          `json:"activityId"`
	SubscriptionID         string          `json:"subscriptionId"`
	OfferID                string          `json:"offerId"`
	PublisherID            string          `json:"publisherId"`
	PlanID                 string          `json:"planId"`
	Quantity               int             `json:"quantity,omitempty"`
	Action                 Action          `json:"action"`
	TimeStamp              time.Time       `json:"timeStamp"`
	Status                 OperationStatus `json:"status"`
	OperationRequestSource Source          `json:"operationRequestSource"`
	ErrorStatusCode        string          `json:"errorStatusCode,omitempty"`
	ErrorMessage           string          `json:"errorMessage,omitempty"`
}

// NewID is a random version-4 GUID, Microsoft's form for every id.
func NewID() string { return requestid.NewUUID() }
