package subscription

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
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
type Store struct {
	// mu guards records and byNumber.
	mu       sync.Mutex
	records  map[Key]*record
	byNumber map[string]Key
}

type record struct {
	sub         Subscription
	fingerprint string
	reply       *Reply
	answered    chan struct{} // closed once reply is set
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{records: map[Key]*record{}, byNumber: map[string]Key{}}
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
		s.records[sub.Key] = &record{sub: sub.clone(), fingerprint: fingerprint, answered: make(chan struct{})}
		s.mu.Unlock()
		return nil, nil
	}
	s.mu.Unlock()
	if !replay || existing.fingerprint != fingerprint {
		return nil, ErrDuplicate
	}
	select {
	case <-existing.answered:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return existing.reply, nil
}

// Answer records the reply to the request that claimed key.
func (s *Store) Answer(key Key, reply Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.reply != nil {
		return
	}
	r.reply = &reply
	close(r.answered)
}

// Get returns a copy of the partner's subscription.
func (s *Store) Get(key Key) (Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok {
		return Subscription{}, ErrNotFound
	}
	return r.sub.clone(), nil
}

// KeyOf finds the subscription with a Zuora subscription number.
func (s *Store) KeyOf(number string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byNumber[number]
	return k, ok
}

// Update applies change to the subscription under the store's lock and
// returns a copy of the result. change must not block, and must check
// before it mutates: on error it must leave the subscription as it was.
// Readers hold copies, so changing the stored value in place is safe.
func (s *Store) Update(key Key, change func(*Subscription) error) (Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.apply(key, change)
	if err != nil {
		return Subscription{}, err
	}
	return r.sub.clone(), nil
}

// Apply is Update for callers that do not need the result.
func (s *Store) Apply(key Key, change func(*Subscription) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.apply(key, change)
	return err
}

func (s *Store) apply(key Key, change func(*Subscription) error) (*record, error) {
	r, ok := s.records[key]
	if !ok {
		return nil, ErrNotFound
	}
	if err := change(&r.sub); err != nil {
		return nil, err
	}
	if r.sub.Number != "" {
		s.byNumber[r.sub.Number] = key
	}
	return r, nil
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

// Filter selects subscriptions for List; empty fields match everything.
type Filter struct {
	Partner    string
	ExternalID string
	Status     Status
}

// List returns copies of the matching subscriptions, oldest first.
func (s *Store) List(f Filter) []Subscription {
	s.mu.Lock()
	out := make([]Subscription, 0, len(s.records))
	for k, r := range s.records {
		if (f.Partner == "" || f.Partner == k.Partner) &&
			(f.ExternalID == "" || f.ExternalID == k.ExternalID) &&
			(f.Status == "" || f.Status == r.sub.Status) {
			out = append(out, r.sub.clone())
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].Key.Partner+"\x00"+out[i].ExternalID < out[j].Key.Partner+"\x00"+out[j].ExternalID
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	return out
}

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
		if r.reply == nil {
			r.reply = &Reply{}
			close(r.answered)
		}
	}
	s.records = map[Key]*record{}
	s.byNumber = map[string]Key{}
}
