// Package oauth keeps the OAuth 2.0 client-credentials state both
// marketplaces need: the registered clients with the scopes each may be
// granted, and the access tokens issued to them. It knows nothing of any
// vendor's wire format; each marketplace renders the token endpoint and its
// errors in its own envelope and profile.
package oauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// Client is a registered OAuth client: a partner's machine identity.
type Client struct {
	ID     string
	Secret string
	// Owner is the tenant the client acts for (a partner id).
	Owner string
	// Scopes are the scopes the client may be granted.
	Scopes []string
}

// Token is an issued access token.
type Token struct {
	Value     string
	ClientID  string
	Owner     string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasScope reports whether the token was granted scope.
func (t Token) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Errors returned by the registry and the token store; each marketplace maps
// them to its own error codes.
var (
	// ErrUnknownClient means no client has that id, or the secret is wrong.
	ErrUnknownClient = errors.New("unknown client or wrong secret")
	// ErrTokenUnknown means the token was never issued (or was reset away).
	ErrTokenUnknown = errors.New("access token is unknown")
	// ErrTokenExpired means the token's lifetime has passed on the sandbox clock.
	ErrTokenExpired = errors.New("access token expired")
	// ErrTokenRevoked means the token was revoked.
	ErrTokenRevoked = errors.New("access token was revoked")
)

// Registry holds the registered clients. It is built once from fixtures and
// never changes, so it needs no lock.
type Registry struct {
	clients map[string]Client
}

// NewRegistry indexes clients by id.
func NewRegistry(clients []Client) *Registry {
	r := &Registry{clients: make(map[string]Client, len(clients))}
	for _, c := range clients {
		r.clients[c.ID] = c
	}
	return r
}

// Authenticate returns the client whose id and secret match. The secret is
// compared in constant time, as a real authorisation server must.
func (r *Registry) Authenticate(id, secret string) (Client, error) {
	c, ok := r.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return Client{}, ErrUnknownClient
	}
	return c, nil
}

// ParseScopes splits a space-separated scope parameter, dropping repeats and
// keeping the requested order.
func ParseScopes(param string) []string {
	var out []string
	for _, s := range strings.Fields(param) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Store keeps issued tokens.
type Store struct {
	now      func() time.Time
	lifetime time.Duration

	// mu guards tokens.
	mu     sync.RWMutex
	tokens map[string]tokenEntry
}

type tokenEntry struct {
	Token
	revoked bool
}

// NewStore returns a store whose tokens live for lifetime on the clock now.
func NewStore(now func() time.Time, lifetime time.Duration) *Store {
	return &Store{now: now, lifetime: lifetime, tokens: map[string]tokenEntry{}}
}

// Lifetime is how long a new token lives.
func (s *Store) Lifetime() time.Duration { return s.lifetime }

// Issue creates a token for client with scopes. Its value is 32 random bytes
// in unpadded URL-safe base64: 43 characters, as Doorkeeper's default
// generator makes them.
func (s *Store) Issue(client Client, scopes []string) Token {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on supported platforms.
	now := s.now()
	t := Token{
		Value:     base64.RawURLEncoding.EncodeToString(raw[:]),
		ClientID:  client.ID,
		Owner:     client.Owner,
		Scopes:    slices.Clone(scopes),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.lifetime),
	}
	s.mu.Lock()
	s.tokens[t.Value] = tokenEntry{Token: t}
	s.mu.Unlock()
	return t
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
		return Token{}, ErrTokenRevoked
	case !s.now().Before(e.ExpiresAt):
		return Token{}, ErrTokenExpired
	}
	return e.Token, nil
}

// Revoke marks a token revoked; it reports whether the token existed.
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

// Reset forgets every token.
func (s *Store) Reset() {
	s.mu.Lock()
	s.tokens = map[string]tokenEntry{}
	s.mu.Unlock()
}

// Owner returns the owner (partner) of the client with that id, without
// authenticating it: the fault layer and the request journal use it to say
// whose request they saw.
func (r *Registry) Owner(id string) (string, bool) {
	c, ok := r.clients[id]
	return c.Owner, ok
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
