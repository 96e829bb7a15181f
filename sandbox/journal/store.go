package journal

import (
	"sync"
)

// Store keeps the newest entries within the bounds of its settings. It
// owns its lock.
type Store struct {
	maxEntries int
	maxBytes   int64

	// mu guards the fields below.
	mu      sync.Mutex
	entries []Entry // oldest first
	bytes   int64
	nextID  uint64
	dropped uint64
}

// NewStore builds an empty journal bounded by s.
func NewStore(s Settings) *Store {
	return &Store{maxEntries: s.MaxEntries, maxBytes: s.MaxBytes, nextID: 1}
}

// Append numbers e and stores it, evicting the oldest entries beyond the
// bounds. It returns the id given.
func (s *Store) Append(e Entry) uint64 {
	e.weigh()
	s.mu.Lock()
	defer s.mu.Unlock()
	e.ID = s.nextID
	s.nextID++
	s.entries = append(s.entries, e)
	s.bytes += e.size
	for len(s.entries) > 1 && (len(s.entries) > s.maxEntries || s.bytes > s.maxBytes) {
		s.bytes -= s.entries[0].size
		s.entries[0] = Entry{} // let the collector have its strings
		s.entries = s.entries[1:]
		s.dropped++
	}
	return e.ID
}

// Get returns the entry with that id, if it is still kept.
func (s *Store) Get(id uint64) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 || id < s.entries[0].ID {
		return Entry{}, false
	}
	i := int(id - s.entries[0].ID) // ids are consecutive within the store
	if i >= len(s.entries) {
		return Entry{}, false
	}
	return s.entries[i], true
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

// Find returns the entries matching q. Entries are never changed once
// stored, so the copies share their header maps.
func (s *Store) Find(q Query) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []int
	for i := range s.entries {
		if q.matches(&s.entries[i]) {
			matched = append(matched, i)
		}
	}
	res := Result{Entries: []Entry{}, Total: len(matched), Dropped: s.dropped, Bytes: s.bytes}
	if len(matched) > q.limit() {
		matched = matched[len(matched)-q.limit():]
	}
	for _, i := range matched {
		res.Entries = append(res.Entries, s.entries[i])
	}
	return res
}

// Clear forgets every entry and the dropped count; ids keep increasing.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries, s.bytes, s.dropped = nil, 0, 0
}
