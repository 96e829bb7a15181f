package journal

import (
	"sync"
)

// Store keeps the newest entries within the bounds of its settings. It
// owns its lock.
type Store struct {
	maxEntries int
	maxBytes   int64
	bodyBytes  int

	// mu guards the fields below.
	mu      sync.Mutex
	entries ring
	bytes   int64
	nextID  uint64
	dropped uint64
	// observe, when set, sees every entry once it is stored.
	observe func(Entry)
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithObserver hands every entry to f as it is stored, outside the
// store's lock and on the goroutine that stored it (f must be quick): a
// certification session arms its challenges on what it sees. A nil f is
// no observer.
func WithObserver(f func(Entry)) StoreOption { return func(s *Store) { s.observe = f } }

// NewStore builds an empty journal bounded by s.
func NewStore(s Settings, opts ...StoreOption) *Store {
	st := &Store{maxEntries: s.MaxEntries, maxBytes: s.MaxBytes, bodyBytes: s.BodyBytes, nextID: 1}
	for _, opt := range opts {
		opt(st)
	}
	return st
}

// Append numbers e and stores it, masking its secrets and cutting its
// bodies to journal.body_bytes, and evicts the oldest entries beyond the
// bounds. It returns the id given.
func (s *Store) Append(e Entry) uint64 { return s.append(recordOf(e, s.bodyBytes)) }

func (s *Store) append(e record) uint64 {
	id := s.appendLocked(e)
	if s.observe != nil {
		if kept, ok := s.get(id); ok {
			s.observe(kept.entry())
		}
	}
	return id
}

func (s *Store) appendLocked(e record) uint64 {
	e.weigh()
	s.mu.Lock()
	defer s.mu.Unlock()
	e.id = s.nextID
	s.nextID++
	s.entries.push(e)
	s.bytes += e.size
	for s.entries.len() > 1 && (s.entries.len() > s.maxEntries || s.bytes > s.maxBytes) {
		s.bytes -= s.entries.pop().size
		s.dropped++
	}
	return e.id
}

// Get returns the entry with that id, if it is still kept.
func (s *Store) Get(id uint64) (Entry, bool) {
	e, ok := s.get(id)
	if !ok {
		return Entry{}, false
	}
	return e.entry(), true // records never change: read it outside the lock
}

func (s *Store) get(id uint64) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries.len() == 0 || id < s.entries.at(0).id {
		return record{}, false
	}
	i := id - s.entries.at(0).id // ids are consecutive within the store
	if i >= uint64(s.entries.len()) {
		return record{}, false
	}
	return *s.entries.at(int(i)), true
}

// Result is the answer to a query.
type Result struct {
	// Entries are the newest Limit matching entries, oldest first.
	Entries []Entry `json:"entries"`
	// Total counts every kept entry that matched.
	Total int `json:"total"`
	// Dropped counts entries evicted to stay within the bounds.
	Dropped uint64 `json:"dropped"`
	// Bytes is the journal's approximate size.
	Bytes int64 `json:"bytes"`
}

// Find returns the entries matching q.
func (s *Store) Find(q Query) Result {
	found, res := s.find(q)
	res.Entries = make([]Entry, 0, len(found))
	for i := range found {
		res.Entries = append(res.Entries, found[i].entry()) // outside the lock: records never change
	}
	return res
}

func (s *Store) find(q Query) ([]record, Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []int
	for i := range s.entries.len() {
		if q.matches(s.entries.at(i)) {
			matched = append(matched, i)
		}
	}
	res := Result{Total: len(matched), Dropped: s.dropped, Bytes: s.bytes}
	if len(matched) > q.limit() {
		matched = matched[len(matched)-q.limit():]
	}
	found := make([]record, 0, len(matched))
	for _, i := range matched {
		found = append(found, *s.entries.at(i))
	}
	return found, res
}

// Clear forgets every entry and the dropped count; ids keep increasing.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries.clear()
	s.bytes, s.dropped = 0, 0
}

// Usage counts the entries kept and those lost: evicted to stay within the
// bounds or cleared. Ids are never reused, so lost covers both; whoever
// judges a client by its journal must know that part of it is gone.
func (s *Store) Usage() (kept int, lost uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries.len(), s.nextID - 1 - uint64(s.entries.len())
}

// All returns every kept entry, oldest first.
func (s *Store) All() []Entry {
	s.mu.Lock()
	found := make([]record, 0, s.entries.len())
	for i := range s.entries.len() {
		found = append(found, *s.entries.at(i))
	}
	s.mu.Unlock()
	out := make([]Entry, 0, len(found))
	for i := range found {
		out = append(out, found[i].entry())
	}
	return out
}
