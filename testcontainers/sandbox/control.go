package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scopes of the GitLab Marketplace API.
const (
	ScopeRead   = "marketplace.order:read"
	ScopeCreate = "marketplace.order:create"
)

// Partner is a marketplace partner the sandbox knows: its OAuth client
// credentials, the scopes it may be granted, and the trading partner ids
// it may order for.
type Partner struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	ClientID          string   `json:"clientId"`
	ClientSecret      string   `json:"clientSecret"`
	Scopes            []string `json:"scopes"`
	TradingPartnerIDs []string `json:"tradingPartnerIds"`
}

// DefaultPartner is the partner of the default fixtures that may both read
// and create orders. A sandbox started with WithFixturesFile has the
// partners of that file instead.
var DefaultPartner = Partner{
	ID:                "demo-partner",
	Name:              "Demo Partner Inc.",
	ClientID:          "demo-partner",
	ClientSecret:      "demo-secret",
	Scopes:            []string{ScopeRead, ScopeCreate},
	TradingPartnerIDs: []string{"TP-DEMO-001"},
}

// ClockState is the sandbox clock as GET /_sandbox/clock reports it.
type ClockState struct {
	Now     time.Time    `json:"now"`
	Mode    string       `json:"mode"`
	Offset  string       `json:"offset"`
	Pending []PendingJob `json:"pending"`
	// Fired is how many jobs an advance ran (zero when only read).
	Fired int `json:"fired"`
}

// PendingJob is work the sandbox will do when its clock reaches Due, such
// as a Zuora callout or the expiry of a token.
type PendingJob struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due"`
}

// Health reports whether /_sandbox/health answers 200.
func (c *Container) Health(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/_sandbox/health", nil, nil)
}

// Reset forgets every subscription, token, callout and outbox message, and
// every pending clock job; the clock keeps its time. Call it between tests
// that share one container.
func (c *Container) Reset(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/_sandbox/reset", nil, nil)
}

// Clock reads the sandbox clock.
func (c *Container) Clock(ctx context.Context) (ClockState, error) {
	var st ClockState
	err := c.call(ctx, http.MethodGet, "/_sandbox/clock", nil, &st)
	return st, err
}

// Advance moves the sandbox clock forward by d and returns once every job
// that fell due has run, in order: callouts are delivered, subscriptions
// provisioned, tokens expired. The clock never goes back; a negative d is
// an error.
func (c *Container) Advance(ctx context.Context, d time.Duration) (ClockState, error) {
	var st ClockState
	err := c.call(ctx, http.MethodPost, "/_sandbox/clock/advance", map[string]string{"by": d.String()}, &st)
	return st, err
}

// Partners lists the partners the sandbox was started with.
func (c *Container) Partners(ctx context.Context) ([]Partner, error) {
	var fx struct {
		Partners []Partner `json:"partners"`
	}
	err := c.call(ctx, http.MethodGet, "/_sandbox/gitlab/fixtures", nil, &fx)
	return fx.Partners, err
}

// Token asks the sandbox's OAuth endpoint for a client-credentials access
// token for p with the given space-separated scopes.
func (c *Container) Token(ctx context.Context, p Partner, scope string) (string, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {p.ClientID},
		"client_secret": {p.ClientSecret},
		"scope":         {scope},
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err := c.do(ctx, http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &tok)
	return tok.AccessToken, err
}

// call sends an optional JSON body to path and decodes a JSON answer into
// out, unless out is nil.
func (c *Container) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, "application/json", body, out, path != "/_sandbox/health")
}

// do sends a marketplace API request: never with the control token.
func (c *Container) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	return c.send(ctx, method, path, contentType, body, out, false)
}

// send makes one request; control says it is a control API request,
// which carries the control token when the sandbox has one.
func (c *Container) send(ctx context.Context, method, path, contentType string, body io.Reader, out any, control bool) error {
	base, err := c.URL(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if control && c.controlToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.controlToken)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return responseError(method, path, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// responseError turns a sandbox error envelope into an error that names
// the request, the status and the sandbox's own explanation.
func responseError(method, path string, resp *http.Response) error {
	var envelope struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		RequestID   string `json:"request_id"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &envelope) != nil || envelope.Error == "" {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return fmt.Errorf("%s %s: %s: %s: %s (request %s)", method, path, resp.Status, envelope.Error, envelope.Description, envelope.RequestID)
}
