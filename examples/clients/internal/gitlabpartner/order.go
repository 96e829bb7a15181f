package gitlabpartner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/retry"
)

// The statuses of an order (docs/gitlab.md): Provisioned and Failed are
// final.
const (
	statusProvisioned = "Provisioned"
	statusFailed      = "Failed"
)

// Polling: the first read a second after the create, each pause half as
// long again as the one before up to 8 s, at most 20 reads (about two
// minutes): enough for the portal's seconds-long provisioning, and a
// bounded load if an order never settles.
const (
	firstPoll     = time.Second
	maxPollPause  = 8 * time.Second
	maxPolls      = 20
	pollsPastDone = 3 // the naive client's extra reads of a settled order
	// The naive TightPoll: 50 reads a second (a loop with no pause at all
	// would flood the journal before a 2 s provisioning), for at most 10 s.
	tightPause    = 20 * time.Millisecond
	maxTightPolls = 500
)

// orderBody is a create's JSON (docs/gitlab.md; README "The GitLab
// Marketplace API").
type orderBody struct {
	ExternalSubscriptionID string      `json:"externalSubscriptionId"`
	TradingPartnerID       string      `json:"tradingPartnerId"`
	Customer               customer    `json:"customer"`
	OrderLines             []orderLine `json:"orderLines"`
}

type customer struct {
	CompanyName string  `json:"companyName"`
	Contact     contact `json:"contact"`
	Address     address `json:"address"`
}

type contact struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
}

type address struct {
	Country string `json:"country"`
}

type orderLine struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// subscriptionStatus is the portal's answer to a create or a status read.
type subscriptionStatus struct {
	ExternalSubscriptionID string `json:"externalSubscriptionId"`
	SubscriptionNumber     string `json:"subscriptionNumber"`
	Status                 string `json:"status"`
	FailureReason          string `json:"failureReason"`
}

func (p *portal) orderBody(externalID string) []byte {
	b, _ := json.Marshal(orderBody{
		ExternalSubscriptionID: externalID, TradingPartnerID: p.env.TradingPartnerID,
		Customer: customer{
			CompanyName: "Acme Corp", Contact: contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"},
			Address: address{Country: "GB"},
		},
		OrderLines: []orderLine{{ProductID: p.env.ProductID, Quantity: 10}},
	})
	return b
}

// order places one order and polls it until it settles.
func (p *portal) order(ctx context.Context, externalID string) (Result, error) {
	r := Result{ExternalID: externalID}
	id, err := p.create(ctx, externalID)
	if err != nil {
		return r, err
	}
	r.ExternalID = id
	return p.poll(ctx, id)
}

// create posts the order. A retry sends the very same bytes, so the
// portal replays its first answer instead of making a second
// subscription; the naive RecreateOnRetry invents a new id instead.
func (p *portal) create(ctx context.Context, externalID string) (string, error) {
	id := externalID
	first := p.orderBody(externalID)
	a, err := p.call(ctx, http.MethodPost, "/api/v1/marketplace/subscriptions", func(n int) []byte {
		if n == 0 || !p.habits.RecreateOnRetry {
			return first
		}
		id = fmt.Sprintf("%s-retry%d", externalID, n)
		return p.orderBody(id)
	})
	if err != nil {
		return id, fmt.Errorf("create: %w", err)
	}
	if a.status != http.StatusCreated && a.status != http.StatusOK {
		return id, fmt.Errorf("create answered %d: %s", a.status, a.body)
	}
	return id, nil
}

// poll reads the order's status, pausing longer each time, until it is
// Provisioned or Failed or maxPolls reads were made.
func (p *portal) poll(ctx context.Context, id string) (Result, error) {
	r := Result{ExternalID: id}
	pause, limit := firstPoll, maxPolls
	if p.habits.TightPoll {
		pause, limit = tightPause, maxTightPolls
	}
	extra := 0
	for r.Polls < limit {
		if err := retry.Sleep(ctx, pause); err != nil {
			return r, err
		}
		if !p.habits.TightPoll {
			pause = min(pause*3/2, maxPollPause)
		}
		s, err := p.status(ctx, id)
		r.Polls++
		if err != nil {
			return r, err
		}
		r.Status, r.SubscriptionNumber, r.FailureReason = s.Status, s.SubscriptionNumber, s.FailureReason
		if s.Status != statusProvisioned && s.Status != statusFailed {
			continue
		}
		if !p.habits.PollAfterFinal || extra == pollsPastDone {
			return r, nil
		}
		extra++
	}
	return r, fmt.Errorf("still %s after %d polls", r.Status, r.Polls)
}

func (p *portal) status(ctx context.Context, id string) (subscriptionStatus, error) {
	var s subscriptionStatus
	a, err := p.call(ctx, http.MethodGet, subscriptionPath(id), func(int) []byte { return nil })
	if err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if a.status != http.StatusOK {
		return s, fmt.Errorf("status answered %d: %s", a.status, a.body)
	}
	if err := json.Unmarshal(a.body, &s); err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	return s, nil
}
