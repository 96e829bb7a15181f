package script

import (
	"errors"
	"strconv"
	"sync"
)

// Store errors.
var (
	// ErrExists means a script with that id is already in the store.
	ErrExists = errors.New("a script with this id exists")
	// ErrUnknown means no script has that id.
	ErrUnknown = errors.New("no script with this id")
)

// Store holds the scripts in force, in the order they were added. The
// scripts from the configuration file are its base: Reset goes back to
// them and drops those added at run time.
type Store struct {
	base []Script

	// mu guards scripts and seq.
	mu      sync.Mutex
	scripts []Script
	seq     int
}

// NewStore returns a store holding base (already validated, with ids).
func NewStore(base []Script) *Store {
	s := &Store{base: append([]Script(nil), base...)}
	s.Reset()
	return s
}

// Add stores sc, giving it the next free id s1, s2… when it has none,
// and returns it as stored.
func (s *Store) Add(sc Script) (Script, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc.ID == "" {
		sc.ID = s.nextID()
	} else if s.indexOf(sc.ID) >= 0 {
		return Script{}, ErrExists
	}
	s.scripts = append(s.scripts, sc)
	return sc, nil
}

func (s *Store) nextID() string {
	for {
		s.seq++
		id := "s" + strconv.Itoa(s.seq)
		if s.indexOf(id) < 0 {
			return id
		}
	}
}

func (s *Store) indexOf(id string) int {
	for i, sc := range s.scripts {
		if sc.ID == id {
			return i
		}
	}
	return -1
}

// Get returns the script with id.
func (s *Store) Get(id string) (Script, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.indexOf(id); i >= 0 {
		return s.scripts[i], nil
	}
	return Script{}, ErrUnknown
}

// Remove deletes the script with id and returns it.
func (s *Store) Remove(id string) (Script, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.indexOf(id)
	if i < 0 {
		return Script{}, ErrUnknown
	}
	sc := s.scripts[i]
	s.scripts = append(s.scripts[:i:i], s.scripts[i+1:]...)
	return sc, nil
}

// Clear deletes every script, the configuration file's too, and reports
// how many there were.
func (s *Store) Clear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.scripts)
	s.scripts = nil
	return n
}

// List returns the scripts in the order they were added.
func (s *Store) List() []Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Script{}, s.scripts...)
}

// Reset restores the configuration file's scripts and restarts the ids.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts = append([]Script(nil), s.base...)
	s.seq = 0
}

// Level is how specific a script is; more specific scripts win.
type Level int

// Levels, most specific first.
const (
	ForSubscription Level = iota
	ForPartner
	ForAll
)

// LevelOf says how specific sc is.
func LevelOf(sc Script) Level {
	switch {
	case sc.ExternalSubscriptionID != "":
		return ForSubscription
	case sc.Partner != "":
		return ForPartner
	}
	return ForAll
}

// Matching returns the scripts that apply to the partner's order, grouped
// by level (index ForSubscription, ForPartner, ForAll) and newest first
// within a level, so that the latest word wins among equals.
func (s *Store) Matching(partner, externalID string) [3][]Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [3][]Script
	for i := len(s.scripts) - 1; i >= 0; i-- {
		sc := s.scripts[i]
		if (sc.Partner != "" && sc.Partner != partner) ||
			(sc.ExternalSubscriptionID != "" && sc.ExternalSubscriptionID != externalID) {
			continue
		}
		lvl := LevelOf(sc)
		out[lvl] = append(out[lvl], sc)
	}
	return out
}
