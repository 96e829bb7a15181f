// Package sandboxtest runs the whole sandbox in-process for Go tests, the
// way net/http/httptest runs a handler: on a loopback port, with its clock
// running, torn down when the test ends. Nothing else (no Docker, no
// binary) is needed.
package sandboxtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
)

// Server is a sandbox serving on a loopback port.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Sandbox is the running sandbox, for direct access to its clock.
	Sandbox *sandbox.Sandbox

	http   *httptest.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// controlClient sends the control token (WithControlToken) with the
	// helpers' control calls; http.DefaultClient's transport otherwise.
	controlClient *http.Client
}

// Option configures a Server.
type Option func(*setup)

type setup struct {
	cfg  sandbox.Config
	opts []sandbox.Option
}

// WithConfig lets change adjust the default configuration.
func WithConfig(change func(*sandbox.Config)) Option {
	return func(s *setup) { change(&s.cfg) }
}

// WithFrozenClock freezes the clock at start (now if zero), so nothing
// happens until the test advances it.
func WithFrozenClock(start time.Time) Option {
	return WithConfig(func(c *sandbox.Config) { c.Clock = "frozen"; c.ClockStart = start })
}

// WithFixtures replaces the default partners and catalogue.
func WithFixtures(f fixtures.Fixtures) Option {
	return func(s *setup) { s.opts = append(s.opts, sandbox.WithFixtures(f)) }
}

// WithControlToken sets the sandbox's control_token: every /_sandbox
// route but health then needs it, as a long-lived shared sandbox would.
// The Server's helpers send it; ControlClient gives a test a client that
// does too.
func WithControlToken(token string) Option {
	return WithConfig(func(c *sandbox.Config) { c.ControlToken = token })
}

// WithSandboxOptions passes options through to sandbox.New.
func WithSandboxOptions(opts ...sandbox.Option) Option {
	return func(s *setup) { s.opts = append(s.opts, opts...) }
}

// Start runs a sandbox until Close is called.
func Start(opts ...Option) (*Server, error) {
	s := setup{cfg: sandbox.DefaultConfig()}
	for _, opt := range opts {
		opt(&s)
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	sb, err := sandbox.New(s.cfg, append([]sandbox.Option{sandbox.WithBaseURL(base)}, s.opts...)...)
	if err != nil {
		hs.Close()
		return nil, err
	}
	hs.Config.Handler = sb.Handler()
	hs.Config.MaxHeaderBytes = sandbox.MaxHeaderBytes
	hs.Config.DisableGeneralOptionsHandler = true
	hs.Listener = sb.Listener(hs.Listener) // net/http's own refusals in the envelope, as the binary answers them
	hs.Start()
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{URL: base, Sandbox: sb, http: hs, cancel: cancel,
		controlClient: controlauth.Client(nil, s.cfg.ControlToken, hs.Listener.Addr().String())}
	srv.wg.Add(1)
	go func() { defer srv.wg.Done(); sb.Run(ctx) }()
	return srv, srv.waitHealthy()
}

// New starts a sandbox for t and closes it when t ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("starting sandbox: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *Server) waitHealthy() error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/_sandbox/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.Close()
	return fmt.Errorf("sandbox at %s did not become healthy within 5s", s.URL)
}

// ControlClient is an HTTP client that adds the control token, when the
// sandbox has one, to the control API requests it sends to this server
// (package controlauth says which requests those are), and to no other
// request: marketplace calls go as the test wrote them.
func (s *Server) ControlClient() *http.Client { return s.controlClient }

// Close stops the clock and the server.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
	s.http.Close()
}

// Advance moves the sandbox clock and fires everything that falls due.
func (s *Server) Advance(d time.Duration) {
	s.Sandbox.Clock().Advance(context.Background(), d)
}

// Token gets an access token for a client of the GitLab portal, e.g.
// Token("demo-partner", "demo-secret", "marketplace.order:create").
func (s *Server) Token(clientID, secret string, scopes ...string) (string, error) {
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {secret}, "scope": {strings.Join(scopes, " ")},
	}
	resp, err := http.PostForm(s.URL+"/oauth/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token request answered %d %s", resp.StatusCode, body.Error)
	}
	return body.AccessToken, nil
}

// MicrosoftResource is the SaaS Fulfillment API's resource id, the
// audience of the tokens a publisher calls it with.
const MicrosoftResource = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"

// MicrosoftPublisher is a publisher of Microsoft's marketplace as GET
// /_sandbox/microsoft/fixtures shows it now.
type MicrosoftPublisher struct {
	ID             string `json:"id"`
	TenantID       string `json:"tenantId"`
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret"`
	WebhookURL     string `json:"webhookUrl"`
	LandingPageURL string `json:"landingPageUrl"`
}

// MicrosoftPublisher looks a publisher up in the running sandbox's
// fixtures (its webhook and landing-page URLs as patched since the start).
func (s *Server) MicrosoftPublisher(id string) (MicrosoftPublisher, error) {
	resp, err := s.controlClient.Get(s.URL + "/_sandbox/microsoft/fixtures")
	if err != nil {
		return MicrosoftPublisher{}, err
	}
	defer resp.Body.Close()
	var body struct {
		Publishers []MicrosoftPublisher `json:"publishers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return MicrosoftPublisher{}, fmt.Errorf("microsoft fixtures answered %d: %w", resp.StatusCode, err)
	}
	for _, p := range body.Publishers {
		if p.ID == id {
			return p, nil
		}
	}
	return MicrosoftPublisher{}, fmt.Errorf("no Microsoft publisher %q in the sandbox's fixtures", id)
}

// MicrosoftToken gets a fulfillment API access token for a publisher
// from the sandbox's Entra-like v2 endpoint, as a publisher's app does
// with its client credentials. Tokens are timed on the sandbox clock by
// default (microsoft.entra.token_clock): ask again after an Advance past
// their hour.
func (s *Server) MicrosoftToken(publisherID string) (string, error) {
	p, err := s.MicrosoftPublisher(publisherID)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {p.ClientID},
		"client_secret": {p.ClientSecret}, "scope": {MicrosoftResource + "/.default"},
	}
	resp, err := http.PostForm(s.URL+"/"+p.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("token request answered %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token request answered %d %s: %s", resp.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, nil
}
