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
}

// NewStore builds an empty journal bounded by s.
func NewStore(s Settings) *Store {
	return &Store{maxEntries: s.MaxEntries, maxBytes: s.MaxBytes, bodyBytes: s.BodyBytes, nextID: 1}
}

// Append numbers e and stores it, masking its secrets and cutting its
// bodies to journal.body_bytes, and evicts the oldest entries beyond the
// bounds. It returns the id given.
func (s *Store) Append(e Entry) uint64 { return s.append(recordOf(e, s.bodyBytes)) }

func (s *Store) append(e record) uint64 {
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
