package zuora

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
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
type Cause struct {
	Why    string
	Script string
}

// On reports whether the cause is in force.
func (c Cause) On() bool { return c.Why != "" }

// Held is a notification Zuora has not sent yet because a script or the
// manual callout mode holds it.
type Held struct {
	NotificationID     string    `json:"id"`
	Event              string    `json:"event"`
	SubscriptionNumber string    `json:"subscriptionNumber"`
	Why                string    `json:"why"`
	Script             string    `json:"script,omitempty"`
	Since              time.Time `json:"since"`

	note    Notification
	plan    Plan
	reorder bool
	timer   *clock.Timer
}

// ErrNotHeld means no held notification has the id: it is unknown, was
// already sent, or was dropped.
var ErrNotHeld = errors.New("no held notification with this id")

// hold parks n. With release > 0 (reordering) it is sent by itself after
// that long if nothing releases it sooner.
func (d *Dispatcher) hold(n Notification, plan Plan, cause Cause, release time.Duration) {
	h := &Held{
		NotificationID: n.ID, Event: n.Event, SubscriptionNumber: n.SubscriptionNumber,
		Why: cause.Why, Script: cause.Script, Since: d.clock.Now(), note: n, plan: plan, reorder: release > 0,
	}
	if h.reorder {
		name := fmt.Sprintf("zuora sends held callout %q for %s", n.Event, n.SubscriptionNumber)
		h.timer = d.clock.AfterFunc(release, name, func(ctx context.Context) {
			if h := d.take(n.ID); h != nil {
				d.start(ctx, h.note, h.plan)
			}
		})
	}
	d.mu.Lock()
	d.held = append(d.held, h)
	d.mu.Unlock()
	d.record(d.unsent(n, OutcomeHeld, cause))
}

// take removes and returns the held notification with id, or nil; whoever
// takes it sends or drops it, so it is sent at most once.
func (d *Dispatcher) take(id string) *Held {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.takeLocked(id)
}

func (d *Dispatcher) takeLocked(id string) *Held {
	for i, h := range d.held {
		if h.NotificationID == id {
			d.held = append(d.held[:i:i], d.held[i+1:]...)
			return h
		}
	}
	return nil
}

// releaseReordered sends, at once, every notification held for
// reordering other than the one just attempted.
func (d *Dispatcher) releaseReordered(after string) {
	d.mu.Lock()
	var ready []*Held
	keep := d.held[:0:0]
	for _, h := range d.held {
		if h.reorder && h.NotificationID != after {
			ready = append(ready, h)
			continue
		}
		keep = append(keep, h)
	}
	d.held = keep
	d.mu.Unlock()
	for _, h := range ready {
		h.timer.Stop()
		h := h
		name := fmt.Sprintf("zuora sends reordered callout %q for %s", h.Event, h.SubscriptionNumber)
		d.clock.AfterFunc(0, name, func(ctx context.Context) { d.start(ctx, h.note, h.plan) })
	}
}

// Pending lists the held notifications, oldest first.
func (d *Dispatcher) Pending() []Held {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Held, 0, len(d.held))
	for _, h := range d.held {
		out = append(out, *h)
	}
	return out
}

// Fire sends a held notification now, through the normal attempts (the
// challenge, the retries, the copies); its first attempt is due at once
// on the clock. It returns the notification. Taking it and scheduling it
// happen under one lock, so a concurrent Reset either sees it held (and
// the clock drops the attempt) or finds nothing to fire.
func (d *Dispatcher) Fire(id string) (Held, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.takeLocked(id)
	if h == nil {
		return Held{}, ErrNotHeld
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	name := fmt.Sprintf("zuora sends fired callout %q for %s", h.Event, h.SubscriptionNumber)
	d.clock.AfterFunc(0, name, func(ctx context.Context) { d.start(ctx, h.note, h.plan) })
	return *h, nil
}

// Drop discards a held notification; Zuora will never send it.
func (d *Dispatcher) Drop(id string, why string) (Held, error) {
	d.mu.Lock()
	h := d.takeLocked(id)
	if h == nil {
		d.mu.Unlock()
		return Held{}, ErrNotHeld
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	del := d.unsent(h.note, OutcomeDropped, Cause{Why: why})
	d.deliveries = append(d.deliveries, del)
	d.mu.Unlock()
	d.observe(del)
	return *h, nil
}

// unsent is the record of a notification Zuora did not send.
func (d *Dispatcher) unsent(n Notification, outcome string, cause Cause) Delivery {
	return Delivery{
		NotificationID: n.ID, Event: n.Event, SubscriptionNumber: n.SubscriptionNumber,
		At: d.clock.Now(), URL: d.policy.URL, Outcome: outcome, Reason: cause.Why, Script: cause.Script,
	}
}
