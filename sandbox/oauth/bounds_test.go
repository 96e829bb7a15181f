package oauth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// TestTokensAreForgottenOnceLongExpired: an expired token stays known
// (it answers "expired") for keepExpired, then is forgotten (unknown), so
// a client fetching a token per call does not grow the store for ever.
func TestTokensAreForgottenOnceLongExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := oauth.NewStore(clock, time.Hour, oauth.WithBounds(10*time.Minute, 1000))
	client := oauth.Client{ID: "c", Owner: "p"}
	old := s.Issue(client, nil)
	now = now.Add(time.Hour + 5*time.Minute)
	s.Issue(client, nil)
	if _, err := s.Lookup(old.Value); !errors.Is(err, oauth.ErrTokenExpired) {
		t.Fatalf("5 minutes after expiry: %v, want expired", err)
	}
	now = now.Add(5 * time.Minute)
	fresh := s.Issue(client, nil)
	if _, err := s.Lookup(old.Value); !errors.Is(err, oauth.ErrTokenUnknown) {
		t.Errorf("10 minutes after expiry: %v, want forgotten", err)
	}
	if _, err := s.Lookup(fresh.Value); err != nil {
		t.Errorf("the fresh token: %v", err)
	}
	if s.Len() != 2 || s.Dropped() != 1 {
		t.Errorf("Len %d, Dropped %d; want 2 kept and 1 forgotten", s.Len(), s.Dropped())
	}
}

// TestTokensAreBoundedInNumber: past max the oldest token is forgotten,
// live or not; the listing shows the kept ones only.
func TestTokensAreBoundedInNumber(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := oauth.NewStore(func() time.Time { return now }, time.Hour, oauth.WithBounds(time.Hour, 100))
	var first oauth.Token
	for i := range 1000 {
		tok := s.Issue(oauth.Client{ID: "c"}, nil)
		if i == 0 {
			first = tok
		}
	}
	if s.Len() != 100 || len(s.List()) != 100 || s.Dropped() != 900 {
		t.Errorf("kept %d (listed %d), dropped %d; want 100 and 900", s.Len(), len(s.List()), s.Dropped())
	}
	if _, err := s.Lookup(first.Value); !errors.Is(err, oauth.ErrTokenUnknown) {
		t.Errorf("the oldest token: %v, want forgotten", err)
	}
}
