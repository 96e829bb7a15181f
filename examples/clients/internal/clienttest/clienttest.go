// Package clienttest runs a reference client's flow against an in-process
// sandbox with the default fixtures, for the clients' tests: the
// environment a session would hand the client (pointed at the default
// workspace until sessions exist), a clock that moves while the client
// waits on the wall clock, and reads of the journal and control API.
package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// Sandbox is an in-process sandbox on a frozen clock.
type Sandbox struct {
	*sandboxtest.Server
	t testing.TB
}

// New starts a sandbox (sandbox.New(sandbox.DefaultConfig(), ...) on a
// loopback httptest server, default fixtures, frozen clock) for t.
func New(t testing.TB) *Sandbox {
	t.Helper()
	return &Sandbox{Server: sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{})), t: t}
}

// GitLabEnv is the GitLab environment of the contract for the default
// workspace's demo-partner.
func (s *Sandbox) GitLabEnv() map[string]string {
	return map[string]string{
		"SANDBOX_BASE_URL": s.URL, "SANDBOX_CONTROL_URL": s.URL + "/_sandbox",
		"GITLAB_PORTAL_URL": s.URL, "GITLAB_CLIENT_ID": "demo-partner", "GITLAB_CLIENT_SECRET": "demo-secret",
		"GITLAB_SCOPES": "marketplace.order:read marketplace.order:create", "GITLAB_TRADING_PARTNER_ID": "TP-DEMO-001",
		"GITLAB_PRODUCT_ID": "2c92a00d76f0d5060176f2fb0a5029ff",
	}
}

// Getenv looks names up in env.
func Getenv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// Tick advances the sandbox clock by step every wall-clock interval
// until the test ends, so that provisioning, callouts and ACK windows
// come due while the client sleeps on the wall clock.
func (s *Sandbox) Tick(interval, step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Sandbox.Clock().Advance(ctx, step)
			}
		}
	}()
}

// Entry is the part of a journal entry the tests read.
type Entry struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	Client string `json:"client"`
	Fault  *struct {
		Rule, Effect string
	} `json:"fault"`
	Direction string `json:"direction"`
	Request   struct {
		Body string `json:"body"`
	} `json:"request"`
}

// Journal lists the entries matching query (journal filters, e.g.
// "path=/oauth/token").
func (s *Sandbox) Journal(query string) []Entry {
	s.t.Helper()
	var body struct{ Entries []Entry }
	s.Control(http.MethodGet, "/journal?limit=1000&"+query, nil, &body)
	return body.Entries
}

// Control calls the control API (path under /_sandbox) and decodes the
// answer into out (if not nil); a status other than 2xx fails the test.
func (s *Sandbox) Control(method, path string, in, out any) {
	s.t.Helper()
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+"/_sandbox"+path, rd)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s answered %d: %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// Fault adds a fault rule (the JSON of POST /_sandbox/faults).
func (s *Sandbox) Fault(rule string) {
	s.t.Helper()
	var v any
	if err := json.Unmarshal([]byte(rule), &v); err != nil {
		s.t.Fatalf("rule %s: %v", rule, err)
	}
	s.Control(http.MethodPost, "/faults", v, nil)
}

// Count is how many entries match query.
func (s *Sandbox) Count(query string) int {
	s.t.Helper()
	return len(s.Journal(query))
}

// Query builds a journal query from name, value pairs.
func Query(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

// Lines splits a client's output into its lines.
func Lines(out string) []string {
	return strings.Split(strings.TrimSpace(out), "\n")
}

// RevokeOnceOrdered revokes every token of clientID once the partner has
// n orders (the suites' "token expired mid-run"): the client's next call
// is a 401 invalid_token.
func (s *Sandbox) RevokeOnceOrdered(clientID string, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if s.orders(ctx, clientID) >= n {
				s.post(ctx, "/gitlab/tokens/revoke", `{"clientId":"`+clientID+`"}`)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

// orders counts the partner's orders without failing the test (it runs
// beside it).
func (s *Sandbox) orders(ctx context.Context, partner string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/_sandbox/gitlab/subscriptions?partner="+url.QueryEscape(partner), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var body struct{ Total int }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Total
}

func (s *Sandbox) post(ctx context.Context, path, body string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/_sandbox"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// The default fixtures' publisher contoso (README "Quick start
// (Microsoft)").
const (
	ContosoTenant = "72f988bf-0000-4000-8000-00000000c0de"
	ContosoClient = "5a1e7c3d-2b4f-4e6a-9c8d-0000000c0150"
)

// MicrosoftEnv is the Microsoft environment of the contract for the
// default workspace's publisher contoso, its app listening on a free
// loopback port: contoso's webhook and landing-page URLs are pointed
// there (a session would make its publisher with them).
func (s *Sandbox) MicrosoftEnv() map[string]string {
	s.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	app := "http://" + l.Addr().String()
	l.Close()
	s.Control(http.MethodPatch, "/microsoft/publishers/contoso", map[string]string{
		"webhookUrl": app + "/marketplace/webhook", "landingPageUrl": app + "/landing",
	}, nil)
	return map[string]string{
		"SANDBOX_BASE_URL": s.URL, "SANDBOX_CONTROL_URL": s.URL + "/_sandbox",
		"MARKETPLACE_API_URL": s.URL, "AZURE_AUTHORITY_HOST": s.URL, "AZURE_TENANT_ID": ContosoTenant,
		"AZURE_CLIENT_ID": ContosoClient, "AZURE_CLIENT_SECRET": "contoso-sandbox-secret",
		"MARKETPLACE_SCOPE":       "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default",
		"MARKETPLACE_WEBHOOK_URL": app + "/marketplace/webhook", "MARKETPLACE_LANDING_URL": app + "/landing",
		"MARKETPLACE_OFFER_ID": "contoso-analytics", "MARKETPLACE_PLAN_ID": "basic", "MARKETPLACE_SEAT_PLAN_ID": "team-seats",
	}
}

// Subscription is the part of a control API subscription view the tests
// read.
type Subscription struct {
	Subscription struct {
		ID       string `json:"id"`
		PlanID   string `json:"planId"`
		Quantity int    `json:"quantity"`
		Status   string `json:"saasSubscriptionStatus"`
	} `json:"subscription"`
	Operations []struct {
		ID, Action, Status string
	} `json:"operations"`
}

// WaitFor polls cond every 20 ms until it holds, failing the test after
// timeout.
func (s *Sandbox) WaitFor(what string, timeout time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("gave up waiting for %s after %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// MicrosoftSubscriptions lists the subscriptions with their operations.
func (s *Sandbox) MicrosoftSubscriptions() []Subscription {
	s.t.Helper()
	var list struct{ Subscriptions []Subscription }
	s.Control(http.MethodGet, "/microsoft/subscriptions", nil, &list)
	return list.Subscriptions
}

// Subscribed is the subscription on planID once it is Subscribed.
func (s *Sandbox) Subscribed(planID string) (Subscription, bool) {
	s.t.Helper()
	for _, sub := range s.MicrosoftSubscriptions() {
		if sub.Subscription.PlanID == planID && sub.Subscription.Status == "Subscribed" {
			return sub, true
		}
	}
	return Subscription{}, false
}
