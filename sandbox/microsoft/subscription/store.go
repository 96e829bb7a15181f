package subscription

import (
	"sort"
	"sync"
	"time"
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
func (rec *record) appendEvent(e Event) {
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
func (rec *record) addOperation(o *opRecord) {
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
type Store struct {
	// mu guards the fields below it.
	mu    sync.Mutex
	byID  map[string]*record
	order []string
}

type record struct {
	sub Subscription
	ops []*opRecord
	// pending is the operation InProgress, nil when none.
	pending  *opRecord
	timeline []Event
}

type opRecord struct {
	op     Operation
	before Subscription
	change Change
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{byID: map[string]*record{}} }

// Reset forgets every subscription.
func (st *Store) Reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byID = map[string]*record{}
	st.order = nil
}

// Add stores a new subscription with the first event of its timeline.
func (st *Store) Add(s Subscription, first Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byID[s.ID] = &record{sub: s.clone(), timeline: []Event{first}}
	st.order = append(st.order, s.ID)
}

// Len counts the subscriptions held and their operations kept, for the
// sandbox's metrics. Counting the operations walks every subscription
// (30 ms for 300 000 here), so it takes the lock for lenChunk of them at
// a time and lets requests in between: the count is then as of no single
// instant, which a gauge scraped every few seconds can afford.
func (st *Store) Len() (subscriptions, operations int) {
	st.mu.Lock()
	subscriptions = len(st.byID)
	st.mu.Unlock()
	for i := 0; ; i += lenChunk {
		st.mu.Lock()
		if i >= len(st.order) {
			st.mu.Unlock()
			return subscriptions, operations
		}
		for _, id := range st.order[i:min(i+lenChunk, len(st.order))] {
			if rec := st.byID[id]; rec != nil {
				operations += len(rec.ops)
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
	return rec.sub.clone(), nil
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
	for _, id := range st.order {
		if s := st.byID[id].sub; keep == nil || keep(s) {
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
	d := Detail{Subscription: rec.sub.clone(), Operations: make([]Operation, 0, len(rec.ops)), Timeline: append([]Event(nil), rec.timeline...)}
	for _, o := range rec.ops {
		d.Operations = append(d.Operations, o.op)
	}
	return d, nil
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
	out := []Operation{}
	for _, o := range rec.ops {
		if !pendingOnly || o == rec.pending {
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
	o, err := rec.operation(opID)
	if err != nil {
		return Operation{}, err
	}
	return o.op, nil
}

func (rec *record) operation(opID string) (*opRecord, error) {
	for _, o := range rec.ops {
		if o.op.ID == opID {
			return o, nil
		}
	}
	return nil, Refuse(OperationNotFound, "Operation %s not found for subscription %s", opID, rec.sub.ID)
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
	next := rec.sub.clone()
	if err := transition(&next); err != nil {
		return Subscription{}, Subscription{}, err
	}
	if respectLock && rec.pending != nil {
		return Subscription{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, rec.pending.op.ID)
	}
	before, rec.sub = rec.sub.clone(), next
	rec.appendEvent(event)
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
	if err := check(rec.sub.clone()); err != nil {
		return Operation{}, Subscription{}, err
	}
	if rec.pending != nil {
		return Operation{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, rec.pending.op.ID)
	}
	op.Status = OpInProgress
	o := &opRecord{op: op, before: rec.sub.clone(), change: change}
	rec.addOperation(o)
	rec.pending = o
	rec.appendEvent(Event{At: op.TimeStamp, Kind: "operation", Detail: string(op.Action) + " " + string(op.OperationRequestSource) + " InProgress", OperationID: op.ID})
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
	o, err := rec.operation(opID)
	if err != nil {
		return Settlement{}, err
	}
	if o != rec.pending {
		return Settlement{}, Refuse(Settled, "Operation %s is already %s.", opID, o.op.Status)
	}
	if outcome == OpSucceeded {
		next := rec.sub.clone()
		if err := next.apply(o.change); err != nil {
			outcome, message = OpConflict, err.(*Refusal).Message
		} else {
			rec.sub = next
		}
	}
	o.op.Status = outcome
	if outcome != OpSucceeded {
		o.op.ErrorStatusCode, o.op.ErrorMessage = string(outcome), message
	}
	rec.pending = nil
	rec.appendEvent(Event{At: now, Kind: "operation", Detail: string(o.op.Action) + " " + string(outcome), OperationID: opID})
	return Settlement{Operation: o.op, Before: o.before.clone(), After: rec.sub.clone()}, nil
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
	next := rec.sub.clone()
	if err := transition(&next); err != nil {
		return Operation{}, Subscription{}, err
	}
	if respectLock && rec.pending != nil {
		return Operation{}, Subscription{}, Refuse(Locked, "Subscription %s is locked by the pending operation %s.", id, rec.pending.op.ID)
	}
	before := rec.sub.clone()
	rec.sub = next
	op.Status = OpSucceeded
	op.PlanID, op.Quantity = next.PlanID, next.Quantity
	rec.addOperation(&opRecord{op: op, before: before})
	rec.appendEvent(Event{At: op.TimeStamp, Kind: "operation", Detail: string(op.Action) + " " + string(op.OperationRequestSource) + " Succeeded", OperationID: op.ID})
	return op, before, nil
}

// Note adds an event to the subscription's timeline.
func (st *Store) Note(id string, e Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rec, ok := st.byID[id]; ok {
		rec.appendEvent(e)
	}
}

// SortEvents orders events by time, stably.
func SortEvents(events []Event) {
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
}
