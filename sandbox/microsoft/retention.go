package microsoft

import (
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// WithRetention bounds the subscriptions the marketplace keeps: past
// policy.MaxRecords, or policy.MaxAge after one ended, the oldest final
// subscriptions (Unsubscribed, no operation InProgress, no webhook due,
// held or retrying) are forgotten, with everything kept for them: their
// operations and timeline, their webhook attempts, the sample receiver's
// deliveries and their usage events (and the duplicate index's entries).
// A forgotten subscription is gone as if it had never been made: GET is
// 404 (EntityNotFound, as for an id never issued), its operations too, and its marketplace
// token no longer resolves. observe is told of each sweep's evictions
// (the sandbox journals them and counts them in its metrics); it may be
// nil. The zero policy, the default, keeps everything.
func WithRetention(policy retention.Policy, observe retention.Observer) Option {
	return func(o *options) { o.retention, o.evicted = policy, observe }
}

// retentionKind names the evicted records in the metrics,
// retentionListing the control route that listed them (the journal's
// note of an eviction).
const (
	retentionKind    = "subscriptions"
	retentionListing = "/_sandbox/microsoft/subscriptions"
)

// sweep evicts what the retention policy no longer keeps. It runs before
// every fulfillment and control call and after a purchase, so a bound
// holds from one call to the next and an age is judged on the sandbox
// clock at the time of the call.
func (m *Marketplace) sweep() {
	if !m.opts.retention.Bounded() {
		return
	}
	ids, counts := m.subs.Evict(m.now(), m.sender.delivering)
	if len(ids) == 0 {
		return
	}
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
		m.timers.stop(id)
	}
	m.webhooks.forget(gone)
	m.received.forget(gone)
	m.meters.forget(gone)
	retention.Report(m.opts.evicted, retentionKind, retentionListing, counts, ids)
}

// filter keeps the rows keep accepts, in order; its owner locks it.
func (l *boundedLog[T]) filter(keep func(T) bool) {
	kept := l.rows[:0]
	for _, v := range l.rows[l.head:] {
		if keep(v) {
			kept = append(kept, v)
		}
	}
	clear(l.rows[len(kept):])
	l.rows, l.head = kept, 0
}

// forget drops the attempts of the subscriptions gone.
func (l *deliveryLog) forget(gone map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.filter(func(d Delivery) bool { return !gone[d.SubscriptionID] })
}

// forget drops what the sample receiver got for the subscriptions gone.
func (l *receivedLog) forget(gone map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.filter(func(r Received) bool { return !gone[r.SubscriptionID] })
}

// forget drops the usage events of the subscriptions gone, accepted
// (and so their duplicate index entries) and received.
func (s *meterStore) forget(gone map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted.filter(func(e *usageEntry) bool {
		if !gone[e.SubscriptionID] {
			return true
		}
		if k := keyOf(e); s.byKey[k] == e {
			delete(s.byKey, k)
		}
		return false
	})
	s.received.filter(func(e *usageEntry) bool { return !gone[e.SubscriptionID] })
}
