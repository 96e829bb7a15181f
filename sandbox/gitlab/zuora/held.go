package zuora

import (
	"errors"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// Plan is how Zuora treats one notification beyond its CalloutPolicy. The
// portal builds it from the back-office scripts in force for the order.
type Plan struct {
	// Delay is the time from the order becoming Created to the callout.
	Delay time.Duration
	// Auth is challenge or preemptive for this notification; empty
	// follows the policy.
	Auth string
	// Copies is how many extra copies to deliver with the same
	// Zuora-Notification-Id, each with its own attempts.
	Copies       int
	CopiesScript string
	// Drop: the notification is never sent.
	Drop Cause
	// Hold: the notification waits until Fire or Drop.
	Hold Cause
	// Reorder: when due, the notification waits until Zuora has made an
	// attempt at another notification, or for the policy's retry
	// interval if none comes, and is sent then. Zuora does not promise
	// callouts in order (docs/gitlab.md §6); this makes "later" happen on cue.
	Reorder Cause
}

// Cause says why Zuora misbehaves and which script asked for it; the zero
// Cause is "behave".
type Cause = outbound.Cause

// Held is a notification Zuora has not sent yet because a script or the
// manual callout mode holds it.
type Held struct {
	NotificationID     string    `json:"id"`
	Event              string    `json:"event"`
	SubscriptionNumber string    `json:"subscriptionNumber"`
	Why                string    `json:"why"`
	Script             string    `json:"script,omitempty"`
	Since              time.Time `json:"since"`
}

func held(h outbound.Held) Held {
	return Held{NotificationID: h.MessageID, Event: h.Event, SubscriptionNumber: h.Subject, Why: h.Why, Script: h.Script, Since: h.Since}
}

// ErrNotHeld means no held notification has the id: it is unknown, was
// already sent, or was dropped.
var ErrNotHeld = errors.New("no held notification with this id")

// Pending lists the held notifications, oldest first.
func (d *Dispatcher) Pending() []Held {
	all := d.out.Pending()
	out := make([]Held, len(all))
	for i, h := range all {
		out[i] = held(h)
	}
	return out
}

// Fire sends a held notification now, through the normal attempts (the
// challenge, the retries, the copies); its first attempt is due at once
// on the clock. It returns the notification.
func (d *Dispatcher) Fire(id string) (Held, error) {
	h, err := d.out.Fire(id)
	if err != nil {
		return Held{}, ErrNotHeld
	}
	return held(h), nil
}

// Drop discards a held notification; Zuora will never send it.
func (d *Dispatcher) Drop(id string, why string) (Held, error) {
	h, err := d.out.Drop(id, why)
	if err != nil {
		return Held{}, ErrNotHeld
	}
	return held(h), nil
}
