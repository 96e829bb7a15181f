package gitlabpartner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/retry"
)

// portal calls the Customers Portal's Marketplace API.
type portal struct {
	env    Env
	habits Habits
	http   *http.Client
	tokens *tokens
}

func newPortal(ctx context.Context, env Env, h Habits, hc *http.Client) *portal {
	return &portal{env: env, habits: h, http: hc, tokens: newTokens(ctx, env, h, hc)}
}

// answer is an API answer read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call makes one API call with its retries: a transport failure, a 5xx,
// a 429 or a 503 is tried again (after Retry-After when the portal sent
// one, else after the backoff), at most retry.Default.Attempts times; a
// 401 invalid_token drops the cached token and tries once more at once.
// body(n) is the body of try n: the same bytes every time for a
// well-behaved client, so that a create the portal did receive is
// replayed, not duplicated.
func (p *portal) call(ctx context.Context, method, path string, body func(n int) []byte) (answer, error) {
	renewed := false
	var last error
	for n := 0; n < retry.Default.Attempts; n++ {
		tok, err := p.tokens.token(ctx)
		if err != nil {
			return answer{}, err // already retried
		}
		a, err := p.send(ctx, method, path, tok, body(n))
		switch {
		case ctx.Err() != nil:
			return a, ctx.Err()
		case err != nil:
			last = err
			if err := retry.Sleep(ctx, delay(p.habits, nil, n)); err != nil {
				return a, err
			}
		case a.status == http.StatusUnauthorized && invalidToken(a) && !renewed:
			renewed = true
			p.tokens.drop()
		case retry.Retryable(a.status):
			last = fmt.Errorf("%s %s answered %d", method, path, a.status)
			if err := retry.Sleep(ctx, delay(p.habits, &http.Response{Header: a.header}, n)); err != nil {
				return a, err
			}
		default:
			return a, nil
		}
	}
	return answer{}, fmt.Errorf("%s %s: giving up after %d attempts: %w", method, path, retry.Default.Attempts, last)
}

// send is one request. An answer cut short (a transport failure after
// the request was sent) is an error like a refused connection.
func (p *portal) send(ctx context.Context, method, path, tok string, body []byte) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.env.PortalURL+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// invalidToken: the portal refused the token itself (RFC 6750 §3.1), not
// the request.
func invalidToken(a answer) bool {
	if strings.Contains(a.header.Get("WWW-Authenticate"), "invalid_token") {
		return true
	}
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(a.body, &e) == nil && e.Error == "invalid_token"
}

func subscriptionPath(externalID string) string {
	return "/api/v1/marketplace/subscriptions/" + url.PathEscape(externalID)
}

// newRunID tells this run's orders from an earlier run's.
func newRunID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
