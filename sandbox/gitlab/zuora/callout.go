package zuora

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// Event names of the callouts the portal cares about (docs/gitlab.md §6): the
// fake Zuora sends the first and the last; "New Subscription Created" is
// the other event a tenant may configure for a new subscription.
const (
	EventOrderProcessed      = "Order Processed"
	EventSubscriptionCreated = "New Subscription Created"
	EventPaymentDeclined     = "Payment Declined"
)

// Notification is one callout: Zuora sends ids, not whole objects.
type Notification struct {
	// ID is the Zuora-Notification-Id, the same on every retry of this
	// notification; receivers use it to drop duplicates.
	ID                 string `json:"notificationId"`
	Event              string `json:"event"`
	SubscriptionNumber string `json:"subscriptionNumber"`
	AccountNumber      string `json:"accountNumber"`
	OrderNumber        string `json:"orderNumber"`
	// Reason is why a payment was declined, on "Payment Declined" only.
	Reason string `json:"reason,omitempty"`
}

// Delivery is one HTTP request Zuora made for a notification.
type Delivery struct {
	NotificationID     string    `json:"notificationId"`
	RequestID          string    `json:"requestId"`
	Event              string    `json:"event"`
	SubscriptionNumber string    `json:"subscriptionNumber"`
	Attempt            int       `json:"attempt"`
	At                 time.Time `json:"at"`
	URL                string    `json:"url"`
	Credentials        bool      `json:"credentials"`
	StatusCode         int       `json:"statusCode,omitempty"`
	Error              string    `json:"error,omitempty"`
	// Outcome is challenged (401 to a request without credentials, repeated
	// at once with them), delivered (200), retrying, or abandoned; or, for
	// a notification Zuora did not send, held (waiting to be fired or
	// reordered) or dropped (never sent).
	Outcome string `json:"outcome"`
	// Copy numbers the extra copies of a scripted duplicate (0: the
	// original).
	Copy int `json:"copy,omitempty"`
	// Reason says why a notification was held or dropped.
	Reason string `json:"reason,omitempty"`
	// Script is the back-office script that held, dropped or copied it.
	Script string `json:"script,omitempty"`
	// Journal links the request journal's record of this request, which
	// the portal files under the inbound Zuora-Request-Id.
	Journal string `json:"journal,omitempty"`
}

// Delivery outcomes.
const (
	OutcomeChallenged = outbound.OutcomeChallenged
	OutcomeDelivered  = outbound.OutcomeDelivered
	OutcomeRetrying   = outbound.OutcomeRetrying
	OutcomeAbandoned  = outbound.OutcomeAbandoned
	OutcomeHeld       = outbound.OutcomeHeld
	OutcomeDropped    = outbound.OutcomeDropped
)

// CalloutPolicy is how Zuora delivers: where, how often, with what
// credentials. Zuora's defaults are 3 attempts 30 minutes apart and
// challenge-first Basic authentication.
type CalloutPolicy struct {
	URL           string
	Attempts      int
	RetryInterval time.Duration
	// Preemptive sends credentials on the first request instead of waiting
	// for the receiver's 401 challenge.
	Preemptive bool
	Username   string
	Password   string
	Timeout    time.Duration
	// Keep is how many deliveries Deliveries keeps, the newest.
	Keep int
}

// Dispatcher schedules and delivers callouts on the sandbox clock, with
// Zuora's manners, through the shared outbound delivery machinery.
type Dispatcher struct {
	url string
	out *outbound.Dispatcher
}

// NewDispatcher returns a dispatcher that reports every delivery to observe
// (which may be nil) as well as keeping it.
func NewDispatcher(clk *clock.Clock, client *http.Client, policy CalloutPolicy, observe func(Delivery)) *Dispatcher {
	cfg := outbound.Config{
		Clock: clk, Client: client, Sender: "zuora", Noun: "callout",
		Schedule: outbound.Schedule{Attempts: policy.Attempts, Interval: policy.RetryInterval},
		Timeout:  policy.Timeout,
		Prepare: func(req *http.Request, a outbound.Attempt) error {
			req.Header.Set("Zuora-Request-Id", a.RequestID)
			req.Header.Set("Zuora-Notification-Id", a.Message.ID)
			req.Header.Set("User-Agent", "Zuora-Callout (marketplace-sandbox)")
			if a.Credentials {
				req.SetBasicAuth(policy.Username, policy.Password)
			}
			return nil
		},
		// Challenge mode: the first request goes without credentials and a
		// 401 Basic challenge makes Zuora repeat it at once with them.
		Challenge:  func(status int, h http.Header) bool { return status == http.StatusUnauthorized && basicChallenge(h) },
		Preemptive: policy.Preemptive,
		// Only a 200 counts as delivered; anything else is retried.
		Success: outbound.OnlyOK,
		Answered: func(a outbound.Answer) error {
			if a.StatusCode == http.StatusUnauthorized && !basicChallenge(a.Header) {
				return errors.New("401 without a Basic challenge")
			}
			return nil
		},
		NewRequestID: NewNotificationID,
		// The portal files the journal record under the inbound
		// Zuora-Request-Id.
		Journal: func(requestID string) string { return "/_sandbox/journal?correlationId=" + url.QueryEscape(requestID) },
		Keep:    policy.Keep,
	}
	if observe != nil {
		cfg.Observe = func(d outbound.Delivery) { observe(delivery(d)) }
	}
	return &Dispatcher{url: policy.URL, out: outbound.New(cfg)}
}

func basicChallenge(h http.Header) bool {
	return strings.HasPrefix(strings.ToLower(h.Get("WWW-Authenticate")), "basic")
}

// NewNotificationID makes a Zuora-style 32-hex-digit id.
func NewNotificationID() string { return outbound.RandomID() }

// Schedule sends n as plan says: after plan.Delay, or never (dropped), or
// once fired (held). A reordered notification waits for the next other
// one, or for the retry interval.
func (d *Dispatcher) Schedule(n Notification, plan Plan) {
	body, _ := json.Marshal(n)
	m := outbound.Message{ID: n.ID, Event: n.Event, Subject: n.SubscriptionNumber, URL: d.url, Body: body}
	d.out.Schedule(m, outbound.Plan{
		Delay: plan.Delay, Auth: outbound.Auth(plan.Auth), Copies: plan.Copies, CopiesScript: plan.CopiesScript,
		Drop: plan.Drop, Hold: plan.Hold, Reorder: plan.Reorder,
	})
}

// delivery is the Zuora view of a delivery record.
func delivery(d outbound.Delivery) Delivery {
	return Delivery{
		NotificationID: d.MessageID, RequestID: d.RequestID, Event: d.Event, SubscriptionNumber: d.Subject,
		Attempt: d.Attempt, At: d.At, URL: d.URL, Credentials: d.Credentials, StatusCode: d.StatusCode,
		Error: d.Error, Outcome: d.Outcome, Copy: d.Copy, Reason: d.Reason, Script: d.Script, Journal: d.Journal,
	}
}

// Count is how many deliveries were recorded with outcome (an
// outbound.Outcomes) since the dispatcher was built, resets included.
func (d *Dispatcher) Count(outcome string) uint64 { return d.out.Count(outcome) }

// Deliveries lists every HTTP request made so far, oldest first.
func (d *Dispatcher) Deliveries() []Delivery {
	all := d.out.Deliveries()
	out := make([]Delivery, len(all))
	for i, del := range all {
		out[i] = delivery(del)
	}
	return out
}

// Busy reports whether a callout for the subscription number is still
// to be delivered, retried, copied, fired or dropped.
func (d *Dispatcher) Busy(number string) bool { return d.out.Busy(number) }

// Dropped is how many deliveries were recorded but are no longer kept.
func (d *Dispatcher) Dropped() uint64 { return d.out.Dropped() }

// Reset forgets past deliveries and held notifications. Pending attempts
// live on the clock, which the sandbox clears separately.
func (d *Dispatcher) Reset() { d.out.Reset() }
