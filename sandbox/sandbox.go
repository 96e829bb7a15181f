// Package sandbox assembles the fake marketplace services behind one
// http.Handler: GitLab's Customers Portal Marketplace API today, with the
// shared /_sandbox control API (health, reset, clock) beside it. It never
// opens a listener: cmd/sandbox does, tests use httptest.
package sandbox

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// Sandbox is a running set of fake services.
type Sandbox struct {
	cfg     Config
	log     *slog.Logger
	clock   *clock.Clock
	portal  *gitlab.Portal
	faults  *fault.Store
	inject  *fault.Injector
	journal *journal.Store
	router  *mux.Router
	handler http.Handler
	ready   atomic.Bool
}

// Option configures a Sandbox.
type Option func(*options)

type options struct {
	log      *slog.Logger
	fixtures *fixtures.Fixtures
	baseURL  string
	client   *http.Client
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithFixtures replaces the embedded default fixtures.
func WithFixtures(f fixtures.Fixtures) Option { return func(o *options) { o.fixtures = &f } }

// WithBaseURL says where the sandbox is reachable, e.g.
// "http://127.0.0.1:8080"; the fake Zuora posts its callouts there.
func WithBaseURL(url string) Option { return func(o *options) { o.baseURL = url } }

// WithHTTPClient sets the client used for outbound calls (callouts).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// New builds a sandbox from cfg. It is not ready (health answers 503) and
// no timer fires until Run is called.
func New(cfg Config, opts ...Option) (*Sandbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), client: &http.Client{}}
	for _, opt := range opts {
		opt(&o)
	}
	fx := fixtures.Default()
	if o.fixtures != nil {
		fx = *o.fixtures
	}
	s := &Sandbox{cfg: cfg, log: o.log, clock: cfg.newClock()}
	portal, err := gitlab.New(cfg.GitLab, fx.GitLab, s.clock,
		gitlab.WithLogger(o.log), gitlab.WithBaseURL(o.baseURL), gitlab.WithHTTPClient(o.client))
	if err != nil {
		return nil, err
	}
	s.portal = portal
	if err := s.buildFaults(); err != nil {
		return nil, err
	}
	s.journal = journal.NewStore(cfg.Journal)
	s.router = s.routes()
	s.handler = s.middleware(headAsGet(s.router))
	return s, nil
}

// apiGitLab names GitLab's marketplace in fault rules and the journal.
const apiGitLab = "gitlab"

// apiOf names the marketplace a request is for; the control API is none,
// so it is never faulted (and journaled only when asked).
func apiOf(r *http.Request) string {
	if isControl(r) {
		return ""
	}
	return apiGitLab
}

// buildFaults makes the fault store from the config file's rules, and the
// injector that tells the journal which rule fired.
func (s *Sandbox) buildFaults() error {
	apis := faultAPIs()
	apis[0].Identify, apis[0].WriteFault = s.portal.Identify, s.portal.WriteFault
	apis[0].Partners, apis[0].Clients = s.portal.Identities()
	store, err := fault.NewStore(s.clock.Now, uint64(s.cfg.FaultSeed), apis, s.cfg.Faults)
	if err != nil {
		return err
	}
	s.faults = store
	s.inject = fault.NewInjector(store, apiOf, fault.WithMaxHang(s.cfg.FaultMaxHang),
		fault.WithOnFire(func(w http.ResponseWriter, _ *http.Request, rule, effect string) { journal.Annotate(w, rule, effect) }))
	s.log.Info("fault injection", "seed", store.Seed(), "rules", len(s.cfg.Faults))
	return nil
}

// Handler serves every route of the sandbox.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Clock is the sandbox's clock, for in-process tests that move time.
func (s *Sandbox) Clock() *clock.Clock { return s.clock }

// Run marks the sandbox ready and fires scheduled work as it falls due,
// until ctx ends.
func (s *Sandbox) Run(ctx context.Context) {
	s.ready.Store(true)
	defer s.ready.Store(false)
	defer s.ReleaseFaults()
	s.clock.Run(ctx)
}

// ReleaseFaults ends every hang and fault latency at once (a hung
// connection is closed), so that a server shutdown does not wait for them;
// register it with http.Server.RegisterOnShutdown. Run calls it when it
// ends.
func (s *Sandbox) ReleaseFaults() { s.inject.Close() }

// Reset forgets all state (tokens, subscriptions, callouts, emails,
// pending work and the journal) and restores the config file's fault
// rules with their counters at zero; the clock keeps its time and the
// fault seed stays.
func (s *Sandbox) Reset() {
	s.clock.Quiesce(s.portal.Reset)
	s.faults.Reset()
	s.journal.Clear()
}
