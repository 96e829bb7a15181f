package subscription

import (
	"time"
)

// Order is the body of a create request, as the partner sent it.
type Order struct {
	ExternalSubscriptionID string      `json:"externalSubscriptionId"`
	TradingPartnerID       string      `json:"tradingPartnerId"`
	Customer               Customer    `json:"customer"`
	OrderLines             []OrderLine `json:"orderLines"`
}

// Customer is the end customer the partner sold to.
type Customer struct {
	CompanyName string  `json:"companyName"`
	Contact     Contact `json:"contact"`
	Address     Address `json:"address"`
}

// Contact is the person who receives the license notification.
type Contact struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
}

// Address is the customer's address; only the country is required.
type Address struct {
	Country    string `json:"country"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
}

// OrderLine is one product and how many of it.
type OrderLine struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// Key identifies a subscription: external ids are the partner's own, so
// two partners may use the same one.
type Key struct {
	Partner    string `json:"partner"`
	ExternalID string `json:"externalSubscriptionId"`
}

// Subscription is the portal's whole record of one order.
type Subscription struct {
	Key
	// Number is the Zuora subscription number, empty while Creating.
	Number         string             `json:"subscriptionNumber,omitempty"`
	Status         Status             `json:"status"`
	FailureReason  string             `json:"failureReason,omitempty"`
	Order          Order              `json:"order"`
	Zuora          ZuoraRefs          `json:"zuora"`
	Salesforce     []SalesforceObject `json:"salesforce"`
	ActivationCode string             `json:"activationCode,omitempty"`
	CreatedAt      time.Time          `json:"createdAt"`
	UpdatedAt      time.Time          `json:"updatedAt"`
	Timeline       []Event            `json:"timeline"`
	// notifications are the Zuora-Notification-Ids processed for it
	// (FirstNotification); frozen with it, never shown.
	notifications []string
}

// ZuoraRefs are the Zuora objects made for the order.
type ZuoraRefs struct {
	AccountNumber string `json:"accountNumber,omitempty"`
	OrderNumber   string `json:"orderNumber,omitempty"`
	InvoiceOwner  string `json:"invoiceOwnerAccountNumber,omitempty"`
}

// SalesforceObject is one object the fake Salesforce "created".
type SalesforceObject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Event is one entry of a subscription's timeline: a status transition
// (Kind "status", with From and To) or something the back office did.
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Script is the back-office script (or magic value) that caused the
	// event, if one did.
	Script string `json:"script,omitempty"`
}

// Event kinds besides status transitions.
const (
	KindStatus     = "status"
	KindZuora      = "zuora"
	KindSalesforce = "salesforce"
	KindCallout    = "callout"
	KindLicense    = "license"
	KindScript     = "script"
)

func (s Subscription) clone() Subscription {
	s.Order.OrderLines = append([]OrderLine(nil), s.Order.OrderLines...)
	s.Salesforce = append([]SalesforceObject(nil), s.Salesforce...)
	s.Timeline = append([]Event(nil), s.Timeline...)
	s.notifications = append([]string(nil), s.notifications...)
	return s
}
