package gitlabpartner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/retry"
)

// tokens hands out the partner's access token. A well-behaved client
// keeps one token until it nears expiry (oauth2's reuse source renews it
// 10 s before expires_in runs out) and drops it when the portal says
// invalid_token (revoked, or expired on a clock the client cannot see).
type tokens struct {
	cfg    clientcredentials.Config
	ctx    context.Context // carries the HTTP client for x/oauth2
	habits Habits

	// mu guards src.
	mu  sync.Mutex
	src oauth2.TokenSource
	// fetching is held by the one caller fetching a token, through its
	// retries: the others wait for its token instead of asking the token
	// service again while it said Retry-After.
	fetching sync.Mutex
}

func newTokens(ctx context.Context, env Env, h Habits, hc *http.Client) *tokens {
	t := &tokens{
		cfg: clientcredentials.Config{
			ClientID: env.ClientID, ClientSecret: env.ClientSecret, TokenURL: env.PortalURL + "/oauth/token",
			Scopes: env.Scopes,
			// In the body, once: auto-detection would send a second token
			// request after any failure (a 503 included).
			AuthStyle: oauth2.AuthStyleInParams,
		},
		ctx: context.WithValue(ctx, oauth2.HTTPClient, hc), habits: h,
	}
	t.src = t.cfg.TokenSource(t.ctx)
	return t
}

// token returns a live token, fetching one (with retries) if needed.
func (t *tokens) token(ctx context.Context) (string, error) {
	if !t.habits.TokenPerCall {
		t.fetching.Lock()
		defer t.fetching.Unlock()
	}
	b := retry.Default
	for n := 0; ; n++ {
		tok, err := t.fetch()
		if err == nil {
			return tok.AccessToken, nil
		}
		if n+1 >= b.Attempts {
			return "", fmt.Errorf("token: %w (after %d attempts)", err, n+1)
		}
		wait, retryable := t.wait(err, n)
		if !retryable {
			return "", fmt.Errorf("token: %w", err)
		}
		if err := retry.Sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}

func (t *tokens) fetch() (*oauth2.Token, error) {
	if t.habits.TokenPerCall {
		return t.cfg.Token(t.ctx)
	}
	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	return src.Token()
}

// wait says how long to wait after a failed token request, and whether
// to try again at all: a refused client or scope will not get better.
func (t *tokens) wait(err error, n int) (time.Duration, bool) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if !retry.Retryable(re.Response.StatusCode) {
			return 0, false
		}
		return delay(t.habits, re.Response, n), true
	}
	return delay(t.habits, nil, n), true
}

// drop forgets the cached token, so the next call fetches a new one.
func (t *tokens) drop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.src = t.cfg.TokenSource(t.ctx)
}

// delay is the wait before retry n after resp (nil: a transport
// failure): Retry-After when the server sent one, else the backoff.
func delay(h Habits, resp *http.Response, n int) time.Duration {
	if resp != nil && !h.IgnoreRetryAfter {
		if d, ok := retry.After(resp.Header, time.Now()); ok {
			return d
		}
	}
	if h.NoBackoff {
		return 0
	}
	return retry.Default.Delay(n)
}
