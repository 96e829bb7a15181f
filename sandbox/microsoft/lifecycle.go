package microsoft

import (
	"context"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// The lifecycle on the sandbox clock (docs/microsoft.md §5). Every timer
// remembers what it was set for (the term's end, the moment of the
// suspension); a job whose subscription has moved on since does nothing,
// so no timer ever needs cancelling.

// activateSubscription activates and sets the timers of the first term
// and of a free trial.
func (m *Marketplace) activateSubscription(id string, a subscription.Activation) error {
	now := m.now()
	_, after, err := m.subs.UpdateUnlessLocked(id, func(s *subscription.Subscription) error { return s.Activate(a, now) },
		subscription.Event{At: now, Kind: "activate", Detail: "activated"})
	if err != nil {
		return err
	}
	if !after.TrialEnds().IsZero() {
		m.scheduleTrialEnd(after)
	}
	m.scheduleTermEnd(after)
	return nil
}

// at runs job at t, for the subscription id; the timers of a
// subscription that ends are stopped (ended), so that a final one holds
// no clock job for the month or years its term had left.
func (m *Marketplace) at(id string, kind int, t time.Time, name string, job func()) {
	m.timers.add(id, kind, m.clock.AfterFunc(t.Sub(m.now()), name, func(context.Context) { job() }))
}

// ended stops the timers of a subscription that became Unsubscribed.
func (m *Marketplace) ended(s subscription.Subscription) {
	if s.SaasSubscriptionStatus == subscription.Unsubscribed {
		m.timers.stop(s.ID)
	}
}

// timerStore holds each subscription's newest lifecycle timer of each
// kind (a newer one replaces the one before, which has fired).
type timerStore struct {
	// mu guards bySub.
	mu    sync.Mutex
	bySub map[string]*[timerKinds]*clock.Timer
}

// Kinds of lifecycle timers.
const (
	timerTerm = iota
	timerTrial
	timerGrace
	timerKinds
)

func (ts *timerStore) add(id string, kind int, t *clock.Timer) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.bySub == nil {
		ts.bySub = map[string]*[timerKinds]*clock.Timer{}
	}
	set := ts.bySub[id]
	if set == nil {
		set = new([timerKinds]*clock.Timer)
		ts.bySub[id] = set
	}
	set[kind] = t
}

func (ts *timerStore) stop(id string) {
	ts.mu.Lock()
	set := ts.bySub[id]
	delete(ts.bySub, id)
	ts.mu.Unlock()
	if set == nil {
		return
	}
	for _, t := range set {
		if t != nil {
			t.Stop()
		}
	}
}

func (ts *timerStore) reset() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.bySub = nil
}

// scheduleTermEnd: at the end of the term a Subscribed subscription
// renews (autoRenew) or is unsubscribed; a Suspended one waits for the
// 30-day rule.
func (m *Marketplace) scheduleTermEnd(s subscription.Subscription) {
	id, over := s.ID, s.TermOver()
	m.at(id, timerTerm, over, "microsoft: term end of "+id, func() { m.termEnded(id, over) })
}

func (m *Marketplace) termEnded(id string, over time.Time) {
	s, err := m.subs.Get(id)
	if err != nil || !s.TermOver().Equal(over) || s.SaasSubscriptionStatus != subscription.Subscribed {
		return
	}
	if s.AutoRenew {
		m.notify(s, subscription.ActionRenew, func(x *subscription.Subscription) error { return x.Renew(over) }, false)
		return
	}
	drop := m.unsubscribeDropsQuantity()
	m.notify(s, subscription.ActionUnsubscribe, func(x *subscription.Subscription) error { return x.Unsubscribe(drop) }, false)
}

// scheduleTrialEnd: a free trial converts at its end, silently: the
// subscription stays Subscribed with isFreeTrial false.
func (m *Marketplace) scheduleTrialEnd(s subscription.Subscription) {
	id, ends := s.ID, s.TrialEnds()
	m.at(id, timerTrial, ends, "microsoft: free trial end of "+id, func() {
		_, _, _ = m.subs.Update(id, func(x *subscription.Subscription) error {
			if !x.TrialEnds().Equal(ends) {
				return subscription.Refuse(subscription.WrongState, "trial moved")
			}
			return x.ConvertTrial()
		}, subscription.Event{At: m.now(), Kind: "trial", Detail: "free trial converted"})
	})
}

// scheduleGraceEnd: 30 days (microsoft.suspended_grace) Suspended and
// Microsoft unsubscribes.
func (m *Marketplace) scheduleGraceEnd(s subscription.Subscription) {
	id, since := s.ID, s.SuspendedAt()
	m.at(id, timerGrace, since.Add(m.settings.SuspendedGrace), "microsoft: suspension grace end of "+id, func() {
		cur, err := m.subs.Get(id)
		if err != nil || cur.SaasSubscriptionStatus != subscription.Suspended || !cur.SuspendedAt().Equal(since) {
			return
		}
		drop := m.unsubscribeDropsQuantity()
		m.notify(cur, subscription.ActionUnsubscribe, func(x *subscription.Subscription) error {
			if !x.SuspendedAt().Equal(since) {
				return subscription.Refuse(subscription.WrongState, "suspension moved")
			}
			return x.Unsubscribe(drop)
		}, false)
	})
}

// notify applies a notify-only operation Microsoft starts (source Azure),
// sends its webhook and sets the timers the new state needs.
// respectLock refuses while an operation is pending (customer events).
func (m *Marketplace) notify(s subscription.Subscription, action subscription.Action, transition func(*subscription.Subscription) error, respectLock bool) (subscription.Operation, error) {
	op := m.newOperation(s, subscription.Change{Action: action, PlanID: s.PlanID, Quantity: s.Quantity}, subscription.SourceAzure)
	op, before, err := m.subs.Notify(s.ID, op, transition, respectLock)
	if err != nil {
		return op, err
	}
	after, err := m.subs.Get(s.ID)
	if err != nil {
		return op, err
	}
	switch action {
	case subscription.ActionRenew, subscription.ActionReinstate:
		if after.SaasSubscriptionStatus == subscription.Subscribed && !after.TermOver().IsZero() {
			m.scheduleTermEnd(after)
		}
	case subscription.ActionSuspend:
		m.scheduleGraceEnd(after)
	}
	m.ended(after)
	m.sendWebhook(op, before, false)
	return op, nil
}

// scheduleCompletion completes a publisher's operation after
// microsoft.operation_delay; the webhook (source Partner, no ACK) is sent
// once it has.
func (m *Marketplace) scheduleCompletion(subID, opID string) {
	m.clock.AfterFunc(m.settings.OperationDelay, "microsoft: complete operation "+opID, func(context.Context) {
		st, err := m.subs.Settle(subID, opID, subscription.OpSucceeded, "", m.now())
		if err != nil || st.Operation.Status != subscription.OpSucceeded {
			return
		}
		m.ended(st.After)
		m.sendWebhook(st.Operation, st.Before, false)
	})
}

// scheduleAck accepts a customer's change the publisher did not answer
// within microsoft.ack_window: silence means accepted (docs/microsoft.md §6).
func (m *Marketplace) scheduleAck(subID, opID string) {
	m.clock.AfterFunc(m.settings.AckWindow, "microsoft: ACK window of "+opID, func(context.Context) {
		_, _ = m.subs.Settle(subID, opID, subscription.OpSucceeded, "", m.now())
	})
}
