package subscription

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Reply is the first answer the portal gave to a create, kept so that a
// retry with the identical body gets the very same answer.
type Reply struct {
	Status int
	Body   []byte
}

// Claim outcomes.
var (
	// ErrDuplicate means the partner already used the external id with a
	// different body (or the duplicate policy rejects every repeat).
	ErrDuplicate = errors.New("externalSubscriptionId already used")
	// ErrNotFound means the partner has no subscription with that id.
	ErrNotFound = errors.New("subscription not found")
)

// Store holds every subscription. It hands out copies; callers change a
// subscription only through its methods.
//
// A subscription that is final (Provisioned or Failed) and answered is
// kept frozen (see freeze.go): a few hundred bytes instead of a few
// kilobytes, thawed when it is read or changed. With a retention policy
// the store forgets the oldest final subscriptions first, never one the
// back office is still working on (StoreOptions' Moving says which).
type Store struct {
	opts StoreOptions

	// mu guards every field below.
	mu       sync.Mutex
	records  map[Key]*record
	byNumber map[string]*record
	// order is every record in the order it was claimed; evicted ones
	// stay as tombstones (removed) until compaction (gaps counts them).
	order []*record
	gaps  int
	seq   uint64
	final retention.Queue[*record]
	// thawed holds the recently read frozen subscriptions, so that a
	// client polling a final order does not pay a thaw on every read.
	thawed thawCache
}

// StoreOptions are what a store needs to bound its records.
type StoreOptions struct {
	Retention retention.Policy
	// Now is the sandbox clock, against which retention.max_age runs.
	Now func() time.Time
	// Moving reports whether the back office still has work pending for
	// the subscription with a Zuora number (a callout being retried, held
	// or copied): such a subscription is never evicted. It is called
	// under the store's lock and must not call the store.
	Moving func(number string) bool
	// Evicted is told of every subscription evicted, after the store's
	// lock is released, so that its owner forgets what it kept beside it
	// (emails, notification ids).
	Evicted func([]Evicted)
	// Observe is told what each sweep evicted, for the journal and the
	// metrics.
	Observe retention.Observer
}

type record struct {
	key    Key
	seq    uint64
	status Status
	// sub is the subscription while it is live; nil while frozen.
	sub         *Subscription
	fingerprint string
	reply       *Reply
	answered    chan struct{} // closed once reply is set
	// frozen holds sub, fingerprint and reply while the record is final
	// and answered.
	frozen []byte
	// number is the Zuora subscription number, once there is one.
	number string
	// queued: the record is in the retention queue (it became final);
	// removed: it was evicted, and stays in order as a tombstone.
	queued, removed bool
}

// answeredAlready stands in for the closed channel of every frozen
// record, which need not each keep their own.
var answeredAlready = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// NewStore returns an empty store that keeps everything.
func NewStore() *Store { return NewBoundedStore(StoreOptions{}) }

// NewBoundedStore returns an empty store that keeps what opts.Retention
// says.
func NewBoundedStore(opts StoreOptions) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{opts: opts, records: map[Key]*record{}, byNumber: map[string]*record{}, final: retention.NewQueue[*record](opts.Retention)}
}

// Claim reserves sub.Key for a new order whose body hashes to fingerprint.
// It returns (nil, nil) when the claim is new: the caller must then call
// Answer once it has replied. When the key exists with the same fingerprint
// and replay is allowed, Claim waits for the first request's answer and
// returns it. Otherwise it returns ErrDuplicate.
func (s *Store) Claim(ctx context.Context, sub Subscription, fingerprint string, replay bool) (*Reply, error) {
	s.mu.Lock()
	existing, ok := s.records[sub.Key]
	if !ok {
		sub.Timeline = append(sub.Timeline, Event{At: sub.CreatedAt, Kind: KindStatus, To: sub.Status, Detail: "order accepted"})
		s.seq++
		c := sub.clone()
		r := &record{key: sub.Key, seq: s.seq, status: sub.Status, sub: &c, fingerprint: fingerprint, answered: make(chan struct{})}
		s.records[sub.Key] = r
		s.order = append(s.order, r)
		evicted := s.sweepLocked()
		s.mu.Unlock()
		s.evicted(evicted)
		return nil, nil
	}
	answered := existing.answered
	s.mu.Unlock()
	select {
	case <-answered:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fp, reply := existing.fingerprint, existing.reply
	if existing.frozen != nil {
		f, err := thaw(existing.frozen)
		if err != nil {
			return nil, err
		}
		fp, reply = string(f.Fingerprint), f.reply()
	}
	if !replay || fp != fingerprint {
		return nil, ErrDuplicate
	}
	return reply, nil
}

// Answer records the reply to the request that claimed key.
func (s *Store) Answer(key Key, reply Reply) {
	s.mu.Lock()
	r, ok := s.records[key]
	if !ok || r.reply != nil || r.frozen != nil {
		s.mu.Unlock()
		return
	}
	r.reply = &reply
	close(r.answered)
	evicted := s.settleLocked(r)
	s.mu.Unlock()
	s.evicted(evicted)
}

// Get returns a copy of the partner's subscription.
func (s *Store) Get(key Key) (Subscription, error) {
	s.mu.Lock()
	r, ok := s.records[key]
	if !ok {
		s.mu.Unlock()
		return Subscription{}, ErrNotFound
	}
	if r.frozen == nil {
		defer s.mu.Unlock()
		return r.sub.clone(), nil
	}
	if sub, ok := s.thawed.get(r); ok {
		defer s.mu.Unlock()
		return sub.clone(), nil
	}
	frozen := r.frozen // never changed once set: thawed outside the lock
	s.mu.Unlock()
	f, err := thaw(frozen)
	if err != nil {
		return Subscription{}, err
	}
	s.mu.Lock()
	if len(r.frozen) > 0 && &r.frozen[0] == &frozen[0] { // not changed meanwhile
		s.thawed.put(r, f.Sub.clone())
	}
	s.mu.Unlock()
	return f.Sub, nil
}

// KeyOf finds the subscription with a Zuora subscription number.
func (s *Store) KeyOf(number string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byNumber[number]
	if !ok {
		return Key{}, false
	}
	return r.key, true
}

// Update applies change to the subscription under the store's lock and
// returns a copy of the result. change must not block, and must check
// before it mutates: on error it must leave the subscription as it was.
// Readers hold copies, so changing the stored value in place is safe.
func (s *Store) Update(key Key, change func(*Subscription) error) (Subscription, error) {
	s.mu.Lock()
	sub, evicted, err := s.apply(key, change)
	s.mu.Unlock()
	s.evicted(evicted)
	return sub, err
}

// Apply is Update for callers that do not need the result.
func (s *Store) Apply(key Key, change func(*Subscription) error) error {
	_, err := s.Update(key, change)
	return err
}

func (s *Store) apply(key Key, change func(*Subscription) error) (Subscription, []Evicted, error) {
	r, ok := s.records[key]
	if !ok {
		return Subscription{}, nil, ErrNotFound
	}
	if r.frozen != nil {
		f, err := thaw(r.frozen)
		if err != nil {
			return Subscription{}, nil, err
		}
		s.thawed.drop(r)
		if err := change(&f.Sub); err != nil {
			return Subscription{}, nil, err
		}
		r.sub, r.fingerprint, r.reply, r.frozen = &f.Sub, string(f.Fingerprint), f.reply(), nil
	} else if err := change(r.sub); err != nil {
		return Subscription{}, nil, err
	}
	if r.sub.Number != "" {
		s.byNumber[r.sub.Number] = r
		r.number = r.sub.Number
	}
	out := r.sub.clone()
	return out, s.settleLocked(r), nil
}

// settleLocked notes r's status and, once r is final and answered,
// freezes it and offers it to retention.
func (s *Store) settleLocked(r *record) []Evicted {
	r.status = r.sub.Status
	if !r.status.Final() || r.reply == nil {
		return nil
	}
	if !r.queued {
		r.queued = true
		s.final.Final(r, s.opts.Now())
	}
	if frozen, err := freeze(frozenRecord{Sub: *r.sub, Fingerprint: []byte(r.fingerprint), ReplyStatus: r.reply.Status, ReplyBody: string(r.reply.Body)}); err == nil {
		r.sub, r.fingerprint, r.reply, r.frozen = nil, "", nil, frozen
		r.answered = answeredAlready
	}
	return s.sweepLocked()
}

// Transition moves the subscription to status to at time at, if the graph
// allows it, and writes the move into the timeline.
func (s *Store) Transition(key Key, to Status, at time.Time, detail string) error {
	return s.Apply(key, func(sub *Subscription) error {
		return sub.MoveTo(to, at, detail)
	})
}

// Note appends a back-office event to the subscription's timeline.
func (s *Store) Note(key Key, kind string, at time.Time, detail string) {
	s.Record(key, Event{At: at, Kind: kind, Detail: detail})
}

// Record appends e to the subscription's timeline.
func (s *Store) Record(key Key, e Event) {
	_ = s.Apply(key, func(sub *Subscription) error {
		sub.Timeline = append(sub.Timeline, e)
		return nil
	})
}

// Fail moves the subscription to Failed with reason, if the graph allows
// it, and notes which script caused it.
func (s *Store) Fail(key Key, at time.Time, reason, script string) error {
	return s.Apply(key, func(sub *Subscription) error {
		if err := sub.MoveTo(Failed, at, reason); err != nil {
			return err
		}
		sub.Timeline[len(sub.Timeline)-1].Script = script
		return nil
	})
}

// MoveTo changes the status if the graph allows it, keeping the timeline
// and timestamps true; it changes nothing when it returns an error. Use it
// inside Update or Apply.
func (sub *Subscription) MoveTo(to Status, at time.Time, detail string) error {
	if !sub.Status.CanBecome(to) {
		return ErrTransition{From: sub.Status, To: to}
	}
	sub.Timeline = append(sub.Timeline, Event{At: at, Kind: KindStatus, From: sub.Status, To: to, Detail: detail})
	if to == Failed {
		sub.FailureReason = detail
	}
	sub.Status = to
	sub.UpdatedAt = at
	return nil
}

// FirstNotification notes that the Zuora notification id reached the
// subscription and reports whether it is the first time: a retried or
// copied callout is acknowledged but not processed twice. The ids are
// part of the subscription's record (frozen with it, evicted with it),
// not a set of their own that would grow without end.
func (s *Store) FirstNotification(key Key, id string) bool {
	first := false
	_ = s.Apply(key, func(sub *Subscription) error {
		if slices.Contains(sub.notifications, id) {
			return errSeen
		}
		sub.notifications = append(sub.notifications, id)
		first = true
		return nil
	})
	return first
}

// errSeen leaves a subscription unchanged when a notification repeats.
var errSeen = errors.New("notification seen before")

// Len is how many subscriptions the store holds.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Reset forgets every subscription. Requests waiting for a replay are
// released with no reply.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records {
		if r.reply == nil && r.frozen == nil {
			r.reply = &Reply{}
			close(r.answered)
		}
	}
	s.records = map[Key]*record{}
	s.byNumber = map[string]*record{}
	s.order, s.gaps = nil, 0
	s.final.Reset()
	s.thawed = thawCache{}
}
