package outbound

import (
	"context"
	"errors"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// Held is a message not sent yet because a plan holds it (until Fire or
// Drop) or reorders it (until another message is attempted).
type Held struct {
	MessageID string    `json:"messageId"`
	Event     string    `json:"event"`
	Subject   string    `json:"subject"`
	Why       string    `json:"why"`
	Script    string    `json:"script,omitempty"`
	Since     time.Time `json:"since"`
	// Reorder is set for a message waiting to be sent out of order,
	// rather than to be fired.
	Reorder bool `json:"reorder,omitempty"`
}

// heldMessage is a Held with what sending it needs.
type heldMessage struct {
	Held
	message Message
	plan    Plan
	timer   *clock.Timer
}

// ErrNotHeld means no held message has the id: it is unknown, was already
// sent, or was dropped.
var ErrNotHeld = errors.New("no held message with this id")

// hold parks m. With release > 0 (reordering) it is sent by itself after
// that long if nothing releases it sooner.
func (d *Dispatcher) hold(m Message, plan Plan, cause Cause, release time.Duration) {
	h := &heldMessage{
		Held: Held{
			MessageID: m.ID, Event: m.Event, Subject: m.Subject, Why: cause.Why, Script: cause.Script,
			Since: d.cfg.Clock.Now(), Reorder: release > 0,
		},
		message: m, plan: plan,
	}
	if h.Reorder {
		h.timer = d.cfg.Clock.AfterFunc(release, d.jobName("held", m), func(ctx context.Context) {
			if h := d.take(m.ID); h != nil {
				d.start(ctx, h.message, h.plan)
			}
		})
	}
	d.mu.Lock()
	d.held = append(d.held, h)
	d.mu.Unlock()
	d.record(d.unsent(m, OutcomeHeld, cause))
}

// take removes and returns the held message with id, or nil; whoever
// takes it sends or drops it, so it is sent at most once.
func (d *Dispatcher) take(id string) *heldMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.takeLocked(id)
}

func (d *Dispatcher) takeLocked(id string) *heldMessage {
	for i, h := range d.held {
		if h.MessageID == id {
			d.held = append(d.held[:i:i], d.held[i+1:]...)
			return h
		}
	}
	return nil
}

// releaseReordered sends, at once, every message held for reordering
// other than the one just attempted.
func (d *Dispatcher) releaseReordered(after string) {
	d.mu.Lock()
	var ready []*heldMessage
	keep := d.held[:0:0]
	for _, h := range d.held {
		if h.Reorder && h.MessageID != after {
			ready = append(ready, h)
			continue
		}
		keep = append(keep, h)
	}
	d.held = keep
	d.mu.Unlock()
	for _, h := range ready {
		h.timer.Stop()
		d.cfg.Clock.AfterFunc(0, d.jobName("reordered", h.message), func(ctx context.Context) { d.start(ctx, h.message, h.plan) })
	}
}

// Pending lists the held messages, oldest first.
func (d *Dispatcher) Pending() []Held {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Held, 0, len(d.held))
	for _, h := range d.held {
		out = append(out, h.Held)
	}
	return out
}

// Fire sends a held message now, through the normal attempts (the
// challenge, the retries, the copies); its first attempt is due at once
// on the clock. Taking it and scheduling it happen under one lock, so a
// concurrent Reset either sees it held (and the clock drops the attempt)
// or finds nothing to fire. A control route whose answer must come after
// the delivery calls Fire inside clock.AdvanceAfter, so that the advance,
// not the clock's Run loop, makes the attempt and waits for it.
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
	d.cfg.Clock.AfterFunc(0, d.jobName("fired", h.message), func(ctx context.Context) { d.start(ctx, h.message, h.plan) })
	return h.Held, nil
}

// Drop discards a held message, recording why; it will never be sent.
func (d *Dispatcher) Drop(id, why string) (Held, error) {
	d.mu.Lock()
	h := d.takeLocked(id)
	if h == nil {
		d.mu.Unlock()
		return Held{}, ErrNotHeld
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	del := d.unsent(h.message, OutcomeDropped, Cause{Why: why})
	d.keep(del)
	d.mu.Unlock()
	if d.cfg.Observe != nil {
		d.cfg.Observe(del)
	}
	return h.Held, nil
}

// unsent is the record of a message not sent.
func (d *Dispatcher) unsent(m Message, outcome string, cause Cause) Delivery {
	return Delivery{
		MessageID: m.ID, Event: m.Event, Subject: m.Subject, At: d.cfg.Clock.Now(), URL: m.URL,
		Outcome: outcome, Reason: cause.Why, Script: cause.Script,
	}
}
