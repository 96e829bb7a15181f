package subscription

import (
	"sort"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Event is one entry of a subscription's timeline: what happened to it
// and when, for the control API.
type Event struct {
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"`
	Detail      string    `json:"detail"`
	OperationID string    `json:"operationId,omitempty"`
	// Count is how many times the same event happened in a row (a
	// publisher that resolves a token on every page view), when more than once.
	Count int `json:"count,omitempty"`
}

// maxTimeline bounds one subscription's timeline; past it the oldest
// events after the first (the purchase) are dropped.
const maxTimeline = 1000

// appendEvent adds e, folding a repeat of the last event into its Count.
func (rec *live) appendEvent(e Event) {
	if n := len(rec.timeline); n > 0 && e.OperationID == "" {
		last := &rec.timeline[n-1]
		if last.Kind == e.Kind && last.Detail == e.Detail && last.OperationID == "" {
			last.Count = max(last.Count, 1) + 1
			last.At = e.At
			return
		}
	}
	if len(rec.timeline) >= maxTimeline {
		rec.timeline = append(rec.timeline[:1], rec.timeline[2:]...)
	}
	rec.timeline = append(rec.timeline, e)
}

// maxOperations bounds the operations one subscription keeps: a
// publisher that changes plans in a loop would otherwise grow them as
// long as the sandbox runs. Past it the oldest finished operation is
// forgotten (GET of it is then a 404, as for an id never issued).
const maxOperations = 1000

// addOperation keeps o, forgetting the oldest finished operation beyond
// maxOperations.
func (rec *live) addOperation(o *opRecord) {
	if len(rec.ops) >= maxOperations {
		for i, old := range rec.ops {
			if old != rec.pending {
				rec.ops = append(rec.ops[:i], rec.ops[i+1:]...)
				break
			}
		}
	}
	rec.ops = append(rec.ops, o)
}

// Detail is a subscription with its whole history.
type Detail struct {
	Subscription Subscription `json:"subscription"`
	Operations   []Operation  `json:"operations"`
	Timeline     []Event      `json:"timeline"`
}

// Settlement is an operation that stopped being InProgress, with the
// subscription before it started and as it is now.
type Settlement struct {
	Operation Operation
	Before    Subscription
	After     Subscription
}

// Store holds every subscription. It owns its lock and hands out copies.
// A final subscription is frozen (freeze.go) and, under a bounded
// retention policy, queued for eviction (retention.go).
type Store struct {
	// mu guards the fields below it.
	mu   sync.Mutex
	byID map[string]*record
	// order is every record by seq, oldest first; evicted ones stay,
	// marked gone, until compacted (holes counts them).
	order   []*record
	holes   int
	seq     uint64
	intern  interner
	retains retention.Queue[string]
}

// record is one subscription: live while it can move, frozen once final.
type record struct {
	seq         uint64
	id          string
	publisherID string
	live        *live
	frozen      []byte
	// queued: the record is in the retention queue (it became final);
	// gone: it was evicted (its slot in order waits for compaction).
	queued, gone bool
}

type opRecord struct {
	op     Operation
	before Subscription
	change Change
}

// NewStore returns an empty store keeping its final subscriptions as
// policy says (the zero Policy: all).
func NewStore(policy ...retention.Policy) *Store {
	st := &Store{byID: map[string]*record{}}
	if len(policy) > 0 {
		st.retains = retention.NewQueue[string](policy[0])
	}
	return st
}

// Reset forgets every subscription.
func (st *Store) Reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byID = map[string]*record{}
	st.order, st.holes = nil, 0
	st.intern = interner{}
	st.retains.Reset()
}

// Add stores a new subscription with the first event of its timeline.
func (st *Store) Add(s Subscription, first Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	rec := &record{seq: st.seq, id: s.ID, publisherID: s.PublisherID, live: &live{sub: s.clone(), timeline: []Event{first}}}
	st.byID[s.ID] = rec
	st.order = append(st.order, rec)
}

// read is the record's state for reading: its live state, or its frozen
// one thawed (a copy the caller may keep).
func (st *Store) read(rec *record) *live {
	if rec.live != nil {
		return rec.live
	}
	l, err := thaw(rec.frozen, &st.intern)
	if err != nil {
		panic(err) // frozen by freeze in this process: a bug, not an input
	}
	return l
}

// open is the record's live state, to change: a frozen one is thawed and
// stays live until settle freezes it again.
func (st *Store) open(rec *record) *live {
	if rec.live == nil {
		rec.live, rec.frozen = st.read(rec), nil
	}
	return rec.live
}

// settle freezes a record that became (or stays) final, and queues it
// for retention the first time.
func (st *Store) settle(rec *record, now time.Time) {
	if rec.live == nil || !rec.live.final() {
		return
	}
	if !rec.queued {
		rec.queued = true
		st.retains.Final(rec.id, now)
	}
	if b, ok := freeze(rec.live, &st.intern); ok {
		rec.live, rec.frozen = nil, b
	}
}

// Counts counts the subscriptions held and the operations of those
// still live, for the sandbox's metrics (a final subscription keeps its
// operations inside its frozen record, which is not decoded to count
// them). It takes the lock for lenChunk subscriptions at a time and lets
// requests in between: the count is then as of no single instant, which
// a gauge scraped every few seconds can afford.
func (st *Store) Counts() (subscriptions, operations int) {
	st.mu.Lock()
	subscriptions = len(st.byID)
	st.mu.Unlock()
	for i := 0; ; i += lenChunk {
		st.mu.Lock()
		if i >= len(st.order) {
			st.mu.Unlock()
			return subscriptions, operations
		}
		for _, rec := range st.order[i:min(i+lenChunk, len(st.order))] {
			if !rec.gone && rec.live != nil {
				operations += len(rec.live.ops)
			}
		}
		st.mu.Unlock()
	}
}

// lenChunk is how many subscriptions Len reads under the lock at once
// (about half a millisecond's worth).
const lenChunk = 4096

// Get returns the subscription with id.
func (st *Store) Get(id string) (Subscription, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Subscription{}, err
	}
	return st.subscriptionOf(rec), nil
}

// subscriptionOf is a copy of the record's subscription. It is a frozen
// record's first part: a GET, the call publishers make most, and a
// listing decode only it.
func (st *Store) subscriptionOf(rec *record) Subscription {
	if rec.live == nil {
		d := decoder{b: rec.frozen, in: &st.intern}
		if s := d.subscription(); d.err == nil {
			return s
		}
	}
	return st.read(rec).sub.clone()
}

func (st *Store) find(id string) (*record, error) {
	rec, ok := st.byID[id]
	if !ok {
		return nil, Refuse(NotFound, "Subscription %s not found", id)
	}
	return rec, nil
}

// List returns the subscriptions keep accepts, oldest first.
func (st *Store) List(keep func(Subscription) bool) []Subscription {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []Subscription{}
	for _, rec := range st.order {
		if rec.gone {
			continue
		}
		if s := st.read(rec).sub; keep == nil || keep(s) {
			out = append(out, s.clone())
		}
	}
	return out
}

// Detail returns the subscription with its operations and timeline.
func (st *Store) Detail(id string) (Detail, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Detail{}, err
	}
	return st.read(rec).detail(), nil
}

func (l *live) detail() Detail {
	d := Detail{Subscription: l.sub.clone(), Operations: make([]Operation, 0, len(l.ops)), Timeline: append([]Event(nil), l.timeline...)}
	for _, o := range l.ops {
		d.Operations = append(d.Operations, o.op)
	}
	return d
}

// Operations lists the subscription's operations, oldest first;
// pendingOnly keeps the InProgress one.
func (st *Store) Operations(id string, pendingOnly bool) ([]Operation, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return nil, err
	}
	l := st.read(rec)
	out := []Operation{}
	for _, o := range l.ops {
		if !pendingOnly || o == l.pending {
			out = append(out, o.op)
		}
	}
	return out, nil
}

// Operation returns one operation of the subscription.
func (st *Store) Operation(id, opID string) (Operation, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Operation{}, err
	}
	o, err := st.read(rec).operation(opID)
	if err != nil {
		return Operation{}, err
	}
	return o.op, nil
}

func (l *live) operation(opID string) (*opRecord, error) {
	for _, o := range l.ops {
		if o.op.ID == opID {
			return o, nil
		}
	}
	return nil, Refuse(OperationNotFound, "Operation %s not found for subscription %s", opID, l.sub.ID)
}

// Update runs transition on the subscription under the lock and records
// event; a refused transition changes nothing. It returns the
// subscription before and after.
func (st *Store) Update(id string, transition func(*Subscription) error, event Event) (before, after Subscription, err error) {
	return st.update(id, transition, event, false)
}

// UpdateUnlessLocked is Update for what a pending operation locks out (a
// publisher's activate while its unsubscribe is in progress): once the
// transition accepts, a pending operation refuses it (Locked).
func (st *Store) UpdateUnlessLocked(id string, transition func(*Subscription) error, event Event) (before, after Subscription, err error) {
	return st.update(id, transition, event, true)
}

func (st *Store) update(id string, transition func(*Subscription) error, event Event, respectLock bool) (before, after Subscription, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Subscription{}, Subscription{}, err
	}
	cur := st.read(rec)
	next := cur.sub.clone()
	if err := transition(&next); err != nil {
		return Subscription{}, Subscription{}, err
	}
	if respectLock && cur.pending != nil {
		return Subscription{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, cur.pending.op.ID)
	}
	l := st.open(rec)
	defer st.settle(rec, event.At)
	before, l.sub = l.sub.clone(), next
	l.appendEvent(event)
	return before, next.clone(), nil
}

// Begin starts an operation that stays InProgress until Settle: check
// sees the subscription first and may refuse; so does a pending operation
// (Locked). op gets the InProgress status.
func (st *Store) Begin(id string, op Operation, change Change, check func(Subscription) error) (Operation, Subscription, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Operation{}, Subscription{}, err
	}
	cur := st.read(rec)
	if err := check(cur.sub.clone()); err != nil {
		return Operation{}, Subscription{}, err
	}
	if cur.pending != nil {
		return Operation{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, cur.pending.op.ID)
	}
	l := st.open(rec)
	op.Status = OpInProgress
	o := &opRecord{op: op, before: l.sub.clone(), change: change}
	l.addOperation(o)
	l.pending = o
	l.appendEvent(Event{At: op.TimeStamp, Kind: "operation", Detail: string(op.Action) + " " + string(op.OperationRequestSource) + " InProgress", OperationID: op.ID})
	return op, o.before.clone(), nil
}

// Settle ends the pending operation opID with outcome (Succeeded,
// Failed or Conflict) at now. Succeeded applies its change; a change the
// subscription no longer allows ends Conflict instead. An operation that
// is not InProgress is Settled.
func (st *Store) Settle(id, opID string, outcome OperationStatus, message string, now time.Time) (Settlement, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Settlement{}, err
	}
	cur := st.read(rec)
	o, err := cur.operation(opID)
	if err != nil {
		return Settlement{}, err
	}
	if o != cur.pending {
		return Settlement{}, Refuse(Settled, "Operation %s is already %s.", opID, o.op.Status)
	}
	l := st.open(rec)
	defer st.settle(rec, now)
	if outcome == OpSucceeded {
		next := l.sub.clone()
		if err := next.apply(o.change); err != nil {
			outcome, message = OpConflict, err.(*Refusal).Message
		} else {
			l.sub = next
		}
	}
	o.op.Status = outcome
	if outcome != OpSucceeded {
		o.op.ErrorStatusCode, o.op.ErrorMessage = string(outcome), message
	}
	l.pending = nil
	l.appendEvent(Event{At: now, Kind: "operation", Detail: string(o.op.Action) + " " + string(outcome), OperationID: opID})
	settled := Settlement{Operation: o.op, Before: o.before, After: l.sub.clone()}
	// Only a pending operation needs what it started from and changes.
	o.before, o.change = Subscription{}, Change{}
	return settled, nil
}

// Notify records a notify-only operation (Suspend, Reinstate,
// Unsubscribe, Renew): transition runs under the lock and the operation
// is Succeeded at once. respectLock refuses while an operation is pending.
func (st *Store) Notify(id string, op Operation, transition func(*Subscription) error, respectLock bool) (Operation, Subscription, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.find(id)
	if err != nil {
		return Operation{}, Subscription{}, err
	}
	cur := st.read(rec)
	next := cur.sub.clone()
	if err := transition(&next); err != nil {
		return Operation{}, Subscription{}, err
	}
	if respectLock && cur.pending != nil {
		return Operation{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, cur.pending.op.ID)
	}
	l := st.open(rec)
	defer st.settle(rec, op.TimeStamp)
	before := l.sub.clone()
	l.sub = next
	op.Status = OpSucceeded
	op.PlanID, op.Quantity = next.PlanID, next.Quantity
	l.addOperation(&opRecord{op: op})
	l.appendEvent(Event{At: op.TimeStamp, Kind: "operation", Detail: string(op.Action) + " " + string(op.OperationRequestSource) + " Succeeded", OperationID: op.ID})
	return op, before, nil
}

// Note adds an event to the subscription's timeline.
func (st *Store) Note(id string, e Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rec, ok := st.byID[id]; ok {
		st.open(rec).appendEvent(e)
		st.settle(rec, e.At)
	}
}

// SortEvents orders events by time, stably.
func SortEvents(events []Event) {
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
}
