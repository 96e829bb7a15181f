package sandboxtest

import (
	"encoding/json"
	"fmt"
	"io"
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

// TokenSource returns an oauth2.TokenSource for a partner's client
// credentials whose cache follows the sandbox's clock, not the wall clock.
//
// Why: a stock golang.org/x/oauth2 client (clientcredentials.Config)
// keeps its token until the wall clock says it expired. The sandbox's
// tokens expire on the sandbox clock, so after Advance past the token
// lifetime (2h by default) such a client sends an expired token on every
// request and gets 401 invalid_token for ever. This source reads the
// sandbox clock on every call and asks /oauth/token for a new token once
// the sandbox time has reached the cached one's expiry.
//
// The tokens it returns carry the wall-clock moment of the call as their
// Expiry, so that a wall-clock cache above it (oauth2.NewClient wraps its
// source in oauth2.ReuseTokenSource) comes back to it on every request;
// the caching happens here. The other remedy, for code under test that
// builds its own OAuth client, is the setting gitlab.token_clock: wall,
// which keeps token lifetimes on the wall clock while the rest of the
// sandbox is advanced.
func (s *Server) TokenSource(clientID, secret string, scopes ...string) oauth2.TokenSource {
	return &clockBoundSource{
		sandboxNow: s.Sandbox.Clock().Now,
		fetch: func() (string, time.Duration, error) {
			return fetchToken(s.URL, clientID, secret, scopes)
		},
	}
}

// Client returns an *http.Client that authenticates every request as the
// partner with a token from TokenSource: it keeps working across Advance.
func (s *Server) Client(clientID, secret string, scopes ...string) *http.Client {
	return &http.Client{Transport: &oauth2.Transport{Source: s.TokenSource(clientID, secret, scopes...)}}
}

// clockBoundSource caches one access token and judges its age by the
// sandbox clock.
type clockBoundSource struct {
	sandboxNow func() time.Time
	fetch      func() (token string, lifetime time.Duration, err error)

	// mu guards token and expiry (expiry is on the sandbox clock).
	mu     sync.Mutex
	token  string
	expiry time.Time
}

// Token returns the cached token while the sandbox clock is before its
// expiry (less refreshMargin), and a new one otherwise.
func (c *clockBoundSource) Token() (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.sandboxNow()
	if c.token == "" || !now.Before(c.expiry.Add(-refreshMargin)) {
		token, lifetime, err := c.fetch()
		if err != nil {
			return nil, err
		}
		// The lifetime counts from when the sandbox issued the token, which
		// is at or after now: expiring the cache from now is on the safe side.
		c.token, c.expiry = token, now.Add(lifetime)
	}
	return &oauth2.Token{AccessToken: c.token, TokenType: "Bearer", Expiry: time.Now()}, nil
}

// fetchToken asks the token endpoint at base for a client-credentials
// token and returns it with its lifetime (expires_in).
func fetchToken(base, clientID, secret string, scopes []string) (string, time.Duration, error) {
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {secret}, "scope": {strings.Join(scopes, " ")},
	}
	resp, err := http.PostForm(base+"/oauth/token", form)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", 0, err
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return "", 0, fmt.Errorf("token request answered %d with a body that is not JSON: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", 0, fmt.Errorf("token request answered %d %s: %s", resp.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, time.Duration(body.ExpiresIn) * time.Second, nil
}
