package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshMargin is how long before its expiry on the sandbox clock a
// cached token is replaced, so that a token is never sent in its last
// seconds (golang.org/x/oauth2 keeps the same margin on the wall clock).
const refreshMargin = 10 * time.Second

// TokenSource returns an oauth2.TokenSource for p whose token cache
// follows the sandbox's clock, not the wall clock.
//
// Why: a stock golang.org/x/oauth2 client (clientcredentials.Config)
// keeps its token until the wall clock says it expired, but the sandbox's
// tokens expire on the sandbox clock. After Advance past the token
// lifetime (2h by default) such a client sends an expired token on every
// request and gets 401 invalid_token for ever. This source reads
// GET /_sandbox/clock on every call and asks /oauth/token for a new token
// once the sandbox time has reached the cached one's expiry.
//
// The tokens it returns carry the wall-clock moment of the call as their
// Expiry, so that a wall-clock cache above it (oauth2.NewClient wraps its
// source in oauth2.ReuseTokenSource) comes back to it on every request.
// ctx bounds every request the source makes. The other remedy, for code
// under test that builds its own OAuth client, is the sandbox setting
// gitlab.token_clock: wall (SANDBOX_GITLAB_TOKEN_CLOCK=wall), which keeps
// token lifetimes on the wall clock while the rest of the sandbox is
// advanced.
func (c *Container) TokenSource(ctx context.Context, p Partner, scope string) oauth2.TokenSource {
	return &clockBoundSource{ctx: ctx, api: c, partner: p, scope: scope}
}

// Client returns an *http.Client that authenticates every request as p
// with a token from TokenSource: it keeps working across Advance.
func (c *Container) Client(ctx context.Context, p Partner, scope string) *http.Client {
	return &http.Client{
		Transport: &oauth2.Transport{Source: c.TokenSource(ctx, p, scope)},
		Timeout:   c.client.Timeout,
	}
}

// sandboxAPI is what a clockBoundSource needs of the sandbox: its clock
// and its token endpoint.
type sandboxAPI interface {
	Clock(ctx context.Context) (ClockState, error)
	tokenWithLifetime(ctx context.Context, p Partner, scope string) (string, time.Duration, error)
}

var _ sandboxAPI = (*Container)(nil)

// clockBoundSource caches one access token and judges its age by the
// sandbox clock.
type clockBoundSource struct {
	ctx     context.Context
	api     sandboxAPI
	partner Partner
	scope   string

	// mu guards token and expiry (expiry is on the sandbox clock).
	mu     sync.Mutex
	token  string
	expiry time.Time
}

// Token returns the cached token while the sandbox clock is before its
// expiry (less refreshMargin), and a new one otherwise.
func (s *clockBoundSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clock, err := s.api.Clock(s.ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the sandbox clock: %w", err)
	}
	if s.token == "" || !clock.Now.Before(s.expiry.Add(-refreshMargin)) {
		token, lifetime, err := s.api.tokenWithLifetime(s.ctx, s.partner, s.scope)
		if err != nil {
			return nil, err
		}
		// The lifetime counts from when the sandbox issued the token, at
		// or after the clock was read: expiring the cache from then is on
		// the safe side.
		s.token, s.expiry = token, clock.Now.Add(lifetime)
	}
	return &oauth2.Token{AccessToken: s.token, TokenType: "Bearer", Expiry: time.Now()}, nil
}

// tokenWithLifetime is Token with the token's lifetime (expires_in).
func (c *Container) tokenWithLifetime(ctx context.Context, p Partner, scope string) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {p.ClientID},
		"client_secret": {p.ClientSecret},
		"scope":         {scope},
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	err := c.do(ctx, http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &tok)
	if err == nil && tok.AccessToken == "" {
		err = fmt.Errorf("POST /oauth/token: the answer has no access_token")
	}
	return tok.AccessToken, time.Duration(tok.ExpiresIn) * time.Second, err
}
