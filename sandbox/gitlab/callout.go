package gitlab

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sync"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// CalloutPath is the portal's endpoint for Zuora callouts ([OURS]: the real
// portal's path is not public).
const CalloutPath = "/zuora/callouts"

const calloutRealm = "Zuora Callouts"

// notificationLog remembers which Zuora-Notification-Ids were processed,
// so a retried or duplicated callout is acknowledged but not processed
// twice, and how many deliveries of each a script made the portal fail.
type notificationLog struct {
	// mu guards seen and failed.
	mu     sync.Mutex
	seen   map[string]bool
	failed map[string]int
}

func newNotificationLog() *notificationLog {
	return &notificationLog{seen: map[string]bool{}, failed: map[string]int{}}
}

// fail counts one more delivery of id against a budget of limit scripted
// failures; it returns the failure's number, or 0 once the budget is spent.
func (l *notificationLog) fail(id string, limit int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed[id] >= limit {
		return 0
	}
	l.failed[id]++
	return l.failed[id]
}

// first marks id as seen and reports whether it was new.
func (l *notificationLog) first(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[id] {
		return false
	}
	l.seen[id] = true
	return true
}

func (l *notificationLog) reset() {
	l.mu.Lock()
	l.seen = map[string]bool{}
	l.failed = map[string]int{}
	l.mu.Unlock()
}

type calloutAck struct {
	Status string `json:"status"`
}

// receiveCallout is the portal's side of a Zuora callout (docs/gitlab.md §6):
// Basic auth answered with a 401 challenge, dedupe on
// Zuora-Notification-Id, and provisioning handed to the background worker.
func (p *Portal) receiveCallout(w http.ResponseWriter, r *http.Request) error {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(p.settings.Zuora.CalloutUsername)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(p.settings.Zuora.CalloutPassword)) != 1 {
		e := newError(CodeUnauthorized, "Zuora callouts must carry the configured Basic credentials.")
		e.Header = http.Header{"Www-Authenticate": {fmt.Sprintf("Basic realm=%q", calloutRealm)}}
		return e
	}
	n, err := readNotification(r, p.settings.MaxBodyBytes)
	if err != nil {
		return err
	}
	id := n.ID
	key, known := p.subscriptions.KeyOf(n.SubscriptionNumber)
	now := p.clock.Now()
	if known {
		if err := p.scriptedCalloutFailure(key, id); err != nil {
			return err
		}
	}
	if !p.received.first(id) {
		if known {
			p.subscriptions.Note(key, subscription.KindCallout, now, "duplicate notification "+id+" acknowledged, not processed")
		}
		writeJSON(w, http.StatusOK, calloutAck{Status: "duplicate"})
		return nil
	}
	if !known {
		writeJSON(w, http.StatusOK, calloutAck{Status: "ignored"})
		return nil
	}
	p.subscriptions.Note(key, subscription.KindCallout, now, fmt.Sprintf("%q notification %s accepted", n.Event, id))
	switch calloutEvents[n.Event] {
	case declines:
		reason := "Zuora reported the payment declined"
		if n.Reason != "" {
			reason += ": " + n.Reason
		}
		_ = p.subscriptions.Transition(key, subscription.Failed, now, reason)
	case provisions:
		p.clock.AfterFunc(p.settings.Provisioning.Delay, "provision "+describe(key), func(ctx context.Context) { p.provision(ctx, key) })
	}
	writeJSON(w, http.StatusOK, calloutAck{Status: "accepted"})
	return nil
}

// scriptedCalloutFailure answers 500 to the first failTimes authenticated
// deliveries of a notification when a script asks for it, so Zuora's
// retries (docs/gitlab.md §6) can be watched doing their job.
func (p *Portal) scriptedCalloutFailure(key subscription.Key, notificationID string) error {
	sub, err := p.subscriptions.Get(key)
	if err != nil {
		return nil
	}
	plan := p.planFor(key, sub.Order)
	if !plan.CalloutFailTimes.Set() {
		return nil
	}
	n := p.received.fail(notificationID, plan.CalloutFailTimes.Value)
	if n == 0 {
		return nil
	}
	p.record(key, p.clock.Now(), subscription.KindCallout,
		fmt.Sprintf("notification %s answered 500: scripted failure %d of %d", notificationID, n, plan.CalloutFailTimes.Value), plan.CalloutFailTimes.Script)
	return newError(CodeInternal, fmt.Sprintf("Scripted callout failure %d of %d (script %s).", n, plan.CalloutFailTimes.Value, plan.CalloutFailTimes.Script))
}

// noteDelivery writes each callout HTTP request, and each notification
// Zuora held or dropped, into the subscription's timeline, so the control
// API shows the callout beside the transitions.
func (p *Portal) noteDelivery(d zuora.Delivery) {
	key, ok := p.subscriptions.KeyOf(d.SubscriptionNumber)
	if !ok {
		return
	}
	detail := fmt.Sprintf("zuora callout attempt %d (%s): %s", d.Attempt, d.RequestID, d.Outcome)
	if d.Outcome == zuora.OutcomeHeld || d.Outcome == zuora.OutcomeDropped {
		detail = fmt.Sprintf("zuora callout %q %s %s: %s", d.Event, d.NotificationID, d.Outcome, d.Reason)
	}
	if d.Copy > 0 {
		detail += fmt.Sprintf(" (duplicate copy %d, script %s)", d.Copy, d.Script)
	}
	if d.StatusCode != 0 {
		detail += fmt.Sprintf(", HTTP %d", d.StatusCode)
	}
	if d.Error != "" {
		detail += ", " + d.Error
	}
	p.subscriptions.Record(key, subscription.Event{At: d.At, Kind: subscription.KindCallout, Detail: detail, Script: d.Script})
}
