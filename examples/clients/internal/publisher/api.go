package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/retry"
)

// apiVersion is the only version of the fulfillment and metering APIs.
const apiVersion = "2018-08-31"

// marketplace calls the SaaS Fulfillment and metering APIs with the
// publisher's Entra token: one token from x/oauth2's client-credentials
// source, reused until it nears expiry, dropped once when the API
// refuses it (403: Microsoft answers every authentication failure so).
type marketplace struct {
	env    Env
	habits Habits
	http   *http.Client
	cfg    clientcredentials.Config
	ctx    context.Context

	// mu guards src.
	mu  sync.Mutex
	src oauth2.TokenSource
}

func newMarketplace(ctx context.Context, env Env, h Habits, hc *http.Client) *marketplace {
	m := &marketplace{env: env, habits: h, http: hc, ctx: context.WithValue(ctx, oauth2.HTTPClient, hc)}
	m.cfg = clientcredentials.Config{
		ClientID: env.ClientID, ClientSecret: env.ClientSecret, Scopes: []string{env.Scope},
		TokenURL:  env.AuthorityHost + "/" + env.TenantID + "/oauth2/v2.0/token",
		AuthStyle: oauth2.AuthStyleInParams,
	}
	m.src = m.cfg.TokenSource(m.ctx)
	return m
}

func (m *marketplace) token() (string, error) {
	if m.habits.TokenPerCall {
		t, err := m.cfg.Token(m.ctx)
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}
	m.mu.Lock()
	src := m.src
	m.mu.Unlock()
	t, err := src.Token()
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (m *marketplace) dropToken() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.src = m.cfg.TokenSource(m.ctx)
}

// apiError is an answer other than the one wanted.
type apiError struct {
	method, path string
	status       int
	body         []byte
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.method, e.path, e.status, bytes.TrimSpace(e.body))
}

// statusOf is the HTTP status of an apiError, 0 for other errors.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	return 0
}

// call makes one API call with its retries (transport failures, 429 and
// 5xx, after Retry-After or the backoff) and decodes a 2xx answer into
// out. header adds request headers.
func (m *marketplace) call(ctx context.Context, method, path string, in, out any, header map[string]string) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	url := m.env.APIURL + path + sep + "api-version=" + apiVersion
	renewed := false
	var last error
	for n := 0; n < retry.Default.Attempts; n++ {
		status, h, b, err := m.send(ctx, method, url, body, header)
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			last, wait = err, retry.Default.Delay(n)
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.Response != nil {
				if !retry.Retryable(re.Response.StatusCode) {
					return err // a refused client or scope will not get better
				}
				if d, ok := retry.After(re.Response.Header, time.Now()); ok {
					wait = d
				}
			}
		case status == http.StatusForbidden && !renewed && !m.habits.TokenPerCall:
			renewed, last = true, &apiError{method, path, status, b}
			m.dropToken()
			continue
		case retry.Retryable(status):
			last, wait = &apiError{method, path, status, b}, retry.Default.Delay(n)
			if d, ok := retry.After(h, time.Now()); ok {
				wait = d
			}
		case status/100 != 2:
			return &apiError{method, path, status, b}
		default:
			if out != nil && len(b) > 0 {
				return json.Unmarshal(b, out)
			}
			return nil
		}
		if err := retry.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s %s: giving up after %d attempts: %w", method, path, retry.Default.Attempts, last)
}

func (m *marketplace) send(ctx context.Context, method, url string, body []byte, header map[string]string) (int, http.Header, []byte, error) {
	tok, err := m.token()
	if err != nil {
		return 0, nil, nil, fmt.Errorf("token: %w", err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}
