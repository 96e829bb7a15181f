package zuora

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
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
	OutcomeChallenged = "challenged"
	OutcomeDelivered  = "delivered"
	OutcomeRetrying   = "retrying"
	OutcomeAbandoned  = "abandoned"
	OutcomeHeld       = "held"
	OutcomeDropped    = "dropped"
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
}

// Dispatcher schedules and delivers callouts on the sandbox clock.
type Dispatcher struct {
	clock   *clock.Clock
	client  *http.Client
	policy  CalloutPolicy
	observe func(Delivery)

	// mu guards deliveries and held.
	mu         sync.Mutex
	deliveries []Delivery
	held       []*Held
}

// NewDispatcher returns a dispatcher that reports every delivery to observe
// (which may be nil) as well as keeping it.
func NewDispatcher(clk *clock.Clock, client *http.Client, policy CalloutPolicy, observe func(Delivery)) *Dispatcher {
	if observe == nil {
		observe = func(Delivery) {}
	}
	return &Dispatcher{clock: clk, client: client, policy: policy, observe: observe}
}

// NewNotificationID makes a Zuora-style 32-hex-digit id.
func NewNotificationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Schedule sends n as plan says: after plan.Delay, or never (dropped), or
// once fired (held).
func (d *Dispatcher) Schedule(n Notification, plan Plan) {
	switch {
	case plan.Drop.On():
		d.record(d.unsent(n, OutcomeDropped, plan.Drop))
	case plan.Hold.On():
		d.hold(n, plan, plan.Hold, 0)
	default:
		name := fmt.Sprintf("zuora callout %q for %s", n.Event, n.SubscriptionNumber)
		d.clock.AfterFunc(plan.Delay, name, func(ctx context.Context) { d.due(ctx, n, plan) })
	}
}

// due is the moment Zuora would send n: a reordered notification waits
// for the next other one, the rest start their first attempt.
func (d *Dispatcher) due(ctx context.Context, n Notification, plan Plan) {
	if plan.Reorder.On() {
		d.hold(n, plan, plan.Reorder, d.policy.RetryInterval)
		return
	}
	d.start(ctx, n, plan)
}

// start makes the first attempt of n and of each scripted copy of it.
func (d *Dispatcher) start(ctx context.Context, n Notification, plan Plan) {
	d.attempt(ctx, n, plan, 1, 0)
	for c := 1; c <= plan.Copies; c++ {
		d.scheduleAttempt(n, plan, 1, c, 0)
	}
}

func (d *Dispatcher) scheduleAttempt(n Notification, plan Plan, attempt, copy int, after time.Duration) {
	name := fmt.Sprintf("zuora callout %q for %s, attempt %d", n.Event, n.SubscriptionNumber, attempt)
	if copy > 0 {
		name += fmt.Sprintf(" (copy %d)", copy)
	}
	d.clock.AfterFunc(after, name, func(ctx context.Context) { d.attempt(ctx, n, plan, attempt, copy) })
}

// attempt makes one delivery attempt: without credentials first in
// challenge mode, then at once with them if the receiver answers 401.
// Only a 200 counts as delivered; anything else is retried after the
// retry interval until the attempts run out. Notifications held for
// reordering are released once it is done.
func (d *Dispatcher) attempt(ctx context.Context, n Notification, plan Plan, attempt, copy int) {
	withCredentials := d.policy.Preemptive
	if plan.Auth != "" {
		withCredentials = plan.Auth == "preemptive"
	}
	for {
		del := d.send(ctx, n, attempt, withCredentials)
		del.Copy = copy
		if copy > 0 {
			del.Script = plan.CopiesScript
		}
		challenged := del.StatusCode == http.StatusUnauthorized && !withCredentials && del.Error == ""
		switch {
		case challenged:
			del.Outcome = OutcomeChallenged
		case del.StatusCode == http.StatusOK:
			del.Outcome = OutcomeDelivered
		case attempt < d.policy.Attempts:
			del.Outcome = OutcomeRetrying
		default:
			del.Outcome = OutcomeAbandoned
		}
		d.record(del)
		if challenged {
			withCredentials = true
			continue
		}
		if del.Outcome == OutcomeRetrying {
			d.scheduleAttempt(n, plan, attempt+1, copy, d.policy.RetryInterval)
		}
		d.releaseReordered(n.ID)
		return
	}
}

func (d *Dispatcher) send(ctx context.Context, n Notification, attempt int, withCredentials bool) Delivery {
	del := Delivery{
		NotificationID: n.ID, RequestID: NewNotificationID(), Event: n.Event,
		SubscriptionNumber: n.SubscriptionNumber, Attempt: attempt, At: d.clock.Now(),
		URL: d.policy.URL, Credentials: withCredentials,
	}
	del.Journal = "/_sandbox/journal?correlationId=" + url.QueryEscape(del.RequestID)
	body, _ := json.Marshal(n)
	ctx, cancel := context.WithTimeout(ctx, d.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.policy.URL, bytes.NewReader(body))
	if err != nil {
		del.Error = err.Error()
		return del
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Zuora-Request-Id", del.RequestID)
	req.Header.Set("Zuora-Notification-Id", n.ID)
	req.Header.Set("User-Agent", "Zuora-Callout (marketplace-sandbox)")
	if withCredentials {
		req.SetBasicAuth(d.policy.Username, d.policy.Password)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		del.Error = err.Error()
		return del
	}
	defer resp.Body.Close()
	del.StatusCode = resp.StatusCode
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
		del.Error = "401 without a Basic challenge"
	}
	return del
}

func (d *Dispatcher) record(del Delivery) {
	d.mu.Lock()
	d.deliveries = append(d.deliveries, del)
	d.mu.Unlock()
	d.observe(del)
}

// Deliveries lists every HTTP request made so far, oldest first.
func (d *Dispatcher) Deliveries() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.deliveries...)
}

// Reset forgets past deliveries and held notifications. Pending attempts
// live on the clock, which the sandbox clears separately.
func (d *Dispatcher) Reset() {
	d.mu.Lock()
	d.deliveries = nil
	d.held = nil
	d.mu.Unlock()
}
