// Package retention decides which final records a long-lived sandbox
// forgets, so that its memory stays bounded however long it runs: a
// record (a GitLab order, a Microsoft subscription) joins its store's
// Queue when it becomes final, and the oldest final records leave first,
// once the store holds more than Policy.MaxRecords or once one has been
// final for longer than Policy.MaxAge on the sandbox clock. A record
// still moving (not final, or with work pending for it) is never a
// candidate: the store asks before it evicts. It knows no marketplace.
package retention

import (
	"errors"
	"fmt"
	"time"
)

// Policy is how much a store keeps. The zero Policy keeps everything,
// which is what a sandbox that lives for one CI job wants.
type Policy struct {
	MaxRecords int           `yaml:"max_records" usage:"most records each store keeps (GitLab orders, Microsoft subscriptions); past it the oldest final ones are forgotten first, never one still moving (0: no limit)"`
	MaxAge     time.Duration `yaml:"max_age" usage:"how long a record is kept after it became final, on the sandbox clock (0: for ever)"`
}

// Validate refuses negative bounds.
func (p Policy) Validate() error {
	var errs []error
	if p.MaxRecords < 0 {
		errs = append(errs, fmt.Errorf("retention.max_records: must be 0 (no limit) or more, not %d", p.MaxRecords))
	}
	if p.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("retention.max_age: must be 0 (for ever) or more, not %s", p.MaxAge))
	}
	return errors.Join(errs...)
}

// Bounded reports whether the policy ever evicts anything.
func (p Policy) Bounded() bool { return p.MaxRecords > 0 || p.MaxAge > 0 }

// Reason says why a record was evicted.
type Reason string

// Reasons for an eviction.
const (
	ReasonMaxRecords Reason = "max_records"
	ReasonMaxAge     Reason = "max_age"
)

// Queue is a store's final records, oldest final first. Its owner locks
// it, under the lock that guards the records themselves, so a record
// cannot start moving again between the check and the eviction.
type Queue[K comparable] struct {
	policy Policy
	// final[head:] are the records in the order they became final;
	// final[:head] were evicted or forgotten (and zeroed).
	head  int
	final []finalRecord[K]
}

type finalRecord[K comparable] struct {
	key K
	at  time.Time
}

// NewQueue returns an empty queue for policy.
func NewQueue[K comparable](p Policy) Queue[K] { return Queue[K]{policy: p} }

// Policy is the queue's policy.
func (q *Queue[K]) Policy() Policy { return q.policy }

// Final records that key became final at at. A store that does not bound
// its records keeps no queue at all.
func (q *Queue[K]) Final(key K, at time.Time) {
	if !q.policy.Bounded() {
		return
	}
	q.final = append(q.final, finalRecord[K]{key: key, at: at})
}

// Len is how many final records wait in the queue.
func (q *Queue[K]) Len() int { return len(q.final) - q.head }

// Outcome is what a store did with a record Evict offered it.
type Outcome int

// Outcomes of an offer.
const (
	// Evicted: the record is gone from the store.
	Evicted Outcome = iota
	// Moving: the record has work pending (a callout, a delivery) and is
	// kept; it stays in the queue, behind the others.
	Moving
	// Gone: the store no longer holds it (a reset, a replacement).
	Gone
)

// Evict offers the store, oldest final first, the records the policy no
// longer keeps, given that the store holds held records now; evict
// removes each (or says it is still moving, or gone). It stops at the
// first record the policy keeps, and offers each queued record at most
// once a call. It returns how many it evicted, by reason.
func (q *Queue[K]) Evict(now time.Time, held int, evict func(K) Outcome) map[Reason]int {
	var out map[Reason]int
	for range q.Len() {
		oldest := q.final[q.head]
		var reason Reason
		switch {
		case q.policy.MaxRecords > 0 && held > q.policy.MaxRecords:
			reason = ReasonMaxRecords
		case q.policy.MaxAge > 0 && !now.Before(oldest.at.Add(q.policy.MaxAge)):
			reason = ReasonMaxAge
		default:
			return out
		}
		q.pop()
		switch evict(oldest.key) {
		case Evicted:
			held--
			if out == nil {
				out = map[Reason]int{}
			}
			out[reason]++
		case Moving:
			q.final = append(q.final, oldest)
		}
	}
	return out
}

func (q *Queue[K]) pop() {
	var zero finalRecord[K]
	q.final[q.head] = zero
	q.head++
	if q.head >= len(q.final)/2 {
		n := copy(q.final, q.final[q.head:])
		clear(q.final[n:])
		q.final, q.head = q.final[:n], 0
	}
}

// Reset forgets every queued record.
func (q *Queue[K]) Reset() { q.final, q.head = nil, 0 }

// Eviction is what one sweep of one store forgot, for the journal and the
// metrics.
type Eviction struct {
	// Kind names the records as the metrics do ("orders",
	// "subscriptions"); Listing is the control route that listed them.
	Kind    string
	Listing string
	Reason  Reason
	Count   int
	// Keys are the first few records evicted (at most MaxKeys), for a
	// reader looking for a record that is gone.
	Keys []string
	// Quiet: count it, but write no journal note (records forgotten one
	// by one as new ones come, such as tokens, would flood the journal).
	Quiet bool
}

// MaxKeys is how many keys an Eviction names.
const MaxKeys = 10

// Observer is told of every eviction; it must not block or call back
// into the store (stores call it under their lock).
type Observer func(Eviction)

// Report tells observe of the evictions of one sweep, one per reason.
// keys lists the evicted records in order; observe may be nil.
func Report(observe Observer, kind, listing string, evicted map[Reason]int, keys []string) {
	if observe == nil || len(evicted) == 0 {
		return
	}
	for _, reason := range []Reason{ReasonMaxRecords, ReasonMaxAge} {
		n := evicted[reason]
		if n == 0 {
			continue
		}
		take := min(n, len(keys), MaxKeys)
		observe(Eviction{Kind: kind, Listing: listing, Reason: reason, Count: n, Keys: append([]string(nil), keys[:take]...)})
		keys = keys[min(n, len(keys)):]
	}
}
