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

// notificationLog remembers what the portal keeps of callouts outside
// the orders themselves (an order keeps the ids of the notifications it
// processed; subscription.Store.FirstNotification): the newest ids of
// notifications for subscription numbers it does not know, so a repeat
// is acknowledged as a duplicate, and how many deliveries of each a
// script made the portal fail, filed by subscription number so that an
// order retention evicts takes its counts with it.
type notificationLog struct {
	// mu guards every field below.
	mu      sync.Mutex
	unknown map[string]bool
	// order is unknown's ids, oldest first: between maxUnknown and twice
	// that many, the oldest half dropped at once.
	order  []string
	failed map[string]int
	// failedIDs lists, by subscription number, the ids in failed.
	failedIDs map[string][]string
}

// maxUnknown bounds the ids of notifications for unknown subscriptions
// the portal remembers: anyone may post such callouts.
const maxUnknown = 10000

func newNotificationLog() *notificationLog {
	return &notificationLog{unknown: map[string]bool{}, failed: map[string]int{}, failedIDs: map[string][]string{}}
}

// fail counts one more delivery of id (for the subscription number)
// against a budget of limit scripted failures; it returns the failure's
// number, or 0 once the budget is spent.
func (l *notificationLog) fail(number, id string, limit int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed[id] >= limit {
		return 0
	}
	if _, ok := l.failed[id]; !ok {
		l.failedIDs[number] = append(l.failedIDs[number], id)
	}
	l.failed[id]++
	return l.failed[id]
}

// firstUnknown marks id, a notification for no subscription the portal
// knows, as seen and reports whether it was new.
func (l *notificationLog) firstUnknown(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unknown[id] {
		return false
	}
	l.unknown[id] = true
	l.order = append(l.order, id)
	if len(l.order) > 2*maxUnknown {
		for _, old := range l.order[:maxUnknown] {
			delete(l.unknown, old)
		}
		l.order = append(l.order[:0:0], l.order[maxUnknown:]...)
	}
	return true
}

// forget drops the failure counts of the subscription numbers.
func (l *notificationLog) forget(numbers []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range numbers {
		for _, id := range l.failedIDs[n] {
			delete(l.failed, id)
		}
		delete(l.failedIDs, n)
	}
}

func (l *notificationLog) reset() {
	l.mu.Lock()
	l.unknown, l.order = map[string]bool{}, nil
	l.failed, l.failedIDs = map[string]int{}, map[string][]string{}
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
		if err := p.scriptedCalloutFailure(key, n.SubscriptionNumber, id); err != nil {
			return err
		}
	}
	first := known && p.subscriptions.FirstNotification(key, id) || !known && p.received.firstUnknown(id)
	if !first {
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
func (p *Portal) scriptedCalloutFailure(key subscription.Key, number, notificationID string) error {
	sub, err := p.subscriptions.Get(key)
	if err != nil {
		return nil
	}
	plan := p.planFor(key, sub.Order)
	if !plan.CalloutFailTimes.Set() {
		return nil
	}
	n := p.received.fail(number, notificationID, plan.CalloutFailTimes.Value)
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
