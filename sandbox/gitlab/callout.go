package gitlab

import (
	"context"
	"crypto/subtle"
	"encoding/json"
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
// twice.
type notificationLog struct {
	// mu guards seen.
	mu   sync.Mutex
	seen map[string]bool
}

func newNotificationLog() *notificationLog { return &notificationLog{seen: map[string]bool{}} }

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
	l.mu.Unlock()
}

type calloutAck struct {
	Status string `json:"status"`
}

// receiveCallout is the portal's side of a Zuora callout (reference §6):
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
	id := r.Header.Get("Zuora-Notification-Id")
	if id == "" {
		return newError(CodeInvalidRequest, "Missing header Zuora-Notification-Id.")
	}
	body, err := readBody(r, p.settings.MaxBodyBytes)
	if err != nil {
		return err
	}
	var n zuora.Notification
	if err := json.Unmarshal(body, &n); err != nil || n.SubscriptionNumber == "" {
		return newError(CodeInvalidRequest, "The callout body must be JSON with a subscriptionNumber.")
	}
	key, known := p.subscriptions.KeyOf(n.SubscriptionNumber)
	now := p.clock.Now()
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
	switch n.Event {
	case zuora.EventPaymentDeclined:
		_ = p.subscriptions.Transition(key, subscription.Failed, now, "Zuora reported the payment declined")
	default:
		p.clock.AfterFunc(p.settings.Provisioning.Delay, "provision "+describe(key), func(ctx context.Context) { p.provision(ctx, key) })
	}
	writeJSON(w, http.StatusOK, calloutAck{Status: "accepted"})
	return nil
}

// noteDelivery writes each callout HTTP request into the subscription's
// timeline, so the control API shows the callout beside the transitions.
func (p *Portal) noteDelivery(d zuora.Delivery) {
	key, ok := p.subscriptions.KeyOf(d.SubscriptionNumber)
	if !ok {
		return
	}
	detail := fmt.Sprintf("zuora callout attempt %d (%s): %s", d.Attempt, d.RequestID, d.Outcome)
	if d.StatusCode != 0 {
		detail += fmt.Sprintf(", HTTP %d", d.StatusCode)
	}
	if d.Error != "" {
		detail += ", " + d.Error
	}
	p.subscriptions.Note(key, subscription.KindCallout, d.At, detail)
}
