// Package oauth keeps the OAuth 2.0 client-credentials state both
// marketplaces need: the registered clients with the scopes each may be
// granted, and the access tokens issued to them. It knows nothing of any
// vendor's wire format; each marketplace renders the token endpoint and its
// errors in its own envelope and profile.
package oauth

import (
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
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

// ParseScopes splits a scope parameter the way Doorkeeper does
// (OAuth::Scopes.from_string, which calls Ruby's String#split with no
// argument): on runs of ASCII whitespace (space, tab, newline, vertical
// tab, form feed, carriage return), ignoring leading and trailing ones,
// dropping repeats and keeping the requested order. Unicode spaces such as
// U+00A0 separate nothing, as in Ruby, so "a\u00a0b" is one (unknown)
// scope.
func ParseScopes(param string) []string {
	var out []string
	for s := range strings.FieldsFuncSeq(param, isASCIISpace) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func isASCIISpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

// ParseScopesStrict reads a scope parameter by RFC 6749 §3.3's grammar:
// scope-tokens of the characters %x21 / %x23-5B / %x5D-7E separated by
// exactly one space, with no leading or trailing space. It reports false
// for anything else (a tab, two spaces, a quote or a backslash).
func ParseScopesStrict(param string) ([]string, bool) {
	if param == "" {
		return nil, false
	}
	var out []string
	for s := range strings.SplitSeq(param, " ") {
		if s == "" {
			return nil, false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
				return nil, false
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, true
}

// Owner returns the owner (partner) of the client with that id, without
// authenticating it: the fault layer and the request journal use it to say
// whose request they saw.
func (r *Registry) Owner(id string) (string, bool) {
	c, ok := r.clients[id]
	return c.Owner, ok
}

// Secrets lists the client secrets, for the request journal, which masks
// a known secret wherever a client puts it.
func (r *Registry) Secrets() []string {
	out := make([]string, 0, len(r.clients))
	for _, c := range r.clients {
		out = append(out, c.Secret)
	}
	slices.Sort(out)
	return out
}

// Client returns the client with that id, without authenticating it.
func (r *Registry) Client(id string) (Client, bool) {
	c, ok := r.clients[id]
	return c, ok
}
