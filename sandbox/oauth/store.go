package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// TokenLength is the length of every issued token value: 32 random bytes
// in unpadded URL-safe base64, as Doorkeeper's default generator
// (SecureRandom.urlsafe_base64) makes them. The request journal looks for
// runs of this length to mask issued tokens wherever they appear.
const TokenLength = 43

// Store keeps issued tokens. Their lifetimes run on the clock it is given:
// the sandbox clock by default, or the wall clock with gitlab.token_clock
// wall, so that a client caching its token by the wall clock stays right
// while the rest of the world is advanced.
type Store struct {
	now      func() time.Time
	lifetime time.Duration
	prefix   string
	// keepExpired is how long a token stays known after it expired, so
	// that a client still sending it is told it expired and its requests
	// are still attributed to it; max bounds the tokens kept at all.
	keepExpired time.Duration
	max         int
	// forgot is told how many tokens one issue made the store forget.
	forgot func(n int)

	// mu guards every field below.
	mu     sync.RWMutex
	tokens map[string]tokenEntry
	// order[head:] are the token values kept, oldest first; dropped
	// counts those forgotten.
	order   []string
	head    int
	dropped uint64
}

type tokenEntry struct {
	Token
	revoked bool
}

// TokenState is a token as the control API lists it.
type TokenState struct {
	Token
	// State is "active", "expired" or "revoked" (revoked wins).
	State string
}

// Token states.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithPrefix starts every token with prefix (URL-safe base64 characters,
// shorter than TokenLength), which then carries fewer random characters
// but keeps TokenLength: a sandbox that routes each token to the
// workspace that issued it reads the workspace from the prefix.
func WithPrefix(prefix string) StoreOption { return func(s *Store) { s.prefix = prefix } }

// WithBounds forgets a token keepExpired after it expired (revoked ones
// too), and the oldest tokens, live or not, past max: without them a
// client that fetches a token per call grows the store without end.
// A forgotten token is unknown, as one never issued is.
func WithBounds(keepExpired time.Duration, max int) StoreOption {
	return func(s *Store) { s.keepExpired, s.max = keepExpired, max }
}

// WithForgotten tells forgot how many tokens the store forgot, each time
// it forgets some (under its lock: forgot must not call the store).
func WithForgotten(forgot func(n int)) StoreOption { return func(s *Store) { s.forgot = forgot } }

// NewStore returns a store whose tokens live for lifetime on the clock now.
func NewStore(now func() time.Time, lifetime time.Duration, opts ...StoreOption) *Store {
	s := &Store{now: now, lifetime: lifetime, tokens: map[string]tokenEntry{}, keepExpired: -1}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Lifetime is how long a new token lives.
func (s *Store) Lifetime() time.Duration { return s.lifetime }

// Now is the time on the store's clock, against which expiry is judged.
func (s *Store) Now() time.Time { return s.now() }

// Issue creates a token for client with scopes.
func (s *Store) Issue(client Client, scopes []string) Token {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on supported platforms.
	now := s.now()
	t := Token{
		Value:     s.prefix + base64.RawURLEncoding.EncodeToString(raw[:])[len(s.prefix):],
		ClientID:  client.ID,
		Owner:     client.Owner,
		Scopes:    slices.Clone(scopes),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.lifetime),
	}
	s.mu.Lock()
	s.tokens[t.Value] = tokenEntry{Token: t}
	s.order = append(s.order, t.Value)
	s.forgetLocked(now)
	s.mu.Unlock()
	return t
}

// forgetLocked drops, oldest first, the tokens past keepExpired since
// they expired and those past max. Tokens expire in the order they were
// issued (one lifetime for all), so the oldest is always the first to go.
func (s *Store) forgetLocked(now time.Time) {
	before := s.dropped
	defer func() {
		if n := s.dropped - before; n > 0 && s.forgot != nil {
			s.forgot(int(n))
		}
	}()
	for s.head < len(s.order) {
		v := s.order[s.head]
		e := s.tokens[v]
		over := s.max > 0 && len(s.order)-s.head > s.max
		stale := s.keepExpired >= 0 && !now.Before(e.ExpiresAt.Add(s.keepExpired))
		if !over && !stale {
			break
		}
		delete(s.tokens, v)
		s.order[s.head] = ""
		s.head++
		s.dropped++
	}
	if s.head > 0 && s.head >= len(s.order)/2 {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order, s.head = s.order[:n], 0
	}
}

// Len counts the tokens kept, expired and revoked ones included.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order) - s.head
}

// Dropped is how many tokens the store forgot (expired long enough, or
// past its bound) since the last reset.
func (s *Store) Dropped() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dropped
}

// Lookup returns the live token with that value.
func (s *Store) Lookup(value string) (Token, error) {
	s.mu.RLock()
	e, ok := s.tokens[value]
	s.mu.RUnlock()
	switch {
	case !ok:
		return Token{}, ErrTokenUnknown
	case e.revoked:
		return e.Token, ErrTokenRevoked
	case !s.now().Before(e.ExpiresAt):
		return e.Token, ErrTokenExpired
	}
	return e.Token, nil
}

// Revoke marks a token revoked; it reports whether the token existed.
// Revoking a revoked or expired token changes nothing and is no error.
func (s *Store) Revoke(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[value]
	if ok {
		e.revoked = true
		s.tokens[value] = e
	}
	return ok
}

// RevokeClient revokes every token of a client that is not revoked yet
// and returns them.
func (s *Store) RevokeClient(clientID string) []Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Token
	for _, v := range s.order[s.head:] {
		e := s.tokens[v]
		if e.ClientID == clientID && !e.revoked {
			e.revoked = true
			s.tokens[v] = e
			out = append(out, e.Token)
		}
	}
	return out
}

// List returns every token kept, oldest first, with its state now.
func (s *Store) List() []TokenState {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]TokenState, 0, len(s.order)-s.head)
	for _, v := range s.order[s.head:] {
		e := s.tokens[v]
		st := TokenState{Token: e.Token, State: StateActive}
		st.Scopes = slices.Clone(e.Scopes)
		switch {
		case e.revoked:
			st.State = StateRevoked
		case !now.Before(e.ExpiresAt):
			st.State = StateExpired
		}
		out = append(out, st)
	}
	return out
}

// Reset forgets every token.
func (s *Store) Reset() {
	s.mu.Lock()
	s.tokens = map[string]tokenEntry{}
	s.order, s.head, s.dropped = nil, 0, 0
	s.mu.Unlock()
}

// Holder returns the token with that value whether or not it is still live,
// so that a request with an expired or revoked token can still be
// attributed to its client.
func (s *Store) Holder(value string) (Token, bool) {
	s.mu.RLock()
	e, ok := s.tokens[value]
	s.mu.RUnlock()
	return e.Token, ok
}

// Issued reports whether the store ever issued value (since the last
// reset): the request journal masks such a value wherever it appears.
func (s *Store) Issued(value string) bool {
	s.mu.RLock()
	_, ok := s.tokens[value]
	s.mu.RUnlock()
	return ok
}
