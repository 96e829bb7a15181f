// Package zuora is the fake Zuora behind the fake Customers Portal: it
// creates customer accounts, subscriptions and orders with numbers in
// Zuora's formats, and delivers callouts (Zuora's webhooks) over real HTTP
// with Zuora's retry and authentication behaviour.
package zuora

import (
	"fmt"
	"sync"
)

// Zuora hands out Zuora object numbers. Zuora's default numbering is a
// prefix and eight digits: accounts A00000001, subscriptions A-S00000001,
// orders O-00000001.
type Zuora struct {
	// mu guards the counters.
	mu                             sync.Mutex
	accounts, subscriptions, order int
}

// New returns a Zuora whose numbering starts at 1.
func New() *Zuora { return &Zuora{} }

// Subscription is what Zuora answers when a subscription is created.
type Subscription struct {
	AccountNumber      string `json:"accountNumber"`
	SubscriptionNumber string `json:"subscriptionNumber"`
	OrderNumber        string `json:"orderNumber"`
	InvoiceOwner       string `json:"invoiceOwnerAccountNumber"`
}

// CreateSubscription creates a subscriber account, an order and a
// subscription billed to the partner's invoice owner account.
func (z *Zuora) CreateSubscription(invoiceOwner string) Subscription {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.accounts++
	z.subscriptions++
	z.order++
	return Subscription{
		AccountNumber:      fmt.Sprintf("A%08d", z.accounts),
		SubscriptionNumber: fmt.Sprintf("A-S%08d", z.subscriptions),
		OrderNumber:        fmt.Sprintf("O-%08d", z.order),
		InvoiceOwner:       invoiceOwner,
	}
}

// Reset restarts the numbering.
func (z *Zuora) Reset() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.accounts, z.subscriptions, z.order = 0, 0, 0
}
