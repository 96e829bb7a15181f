// Package sandbox assembles the fake marketplace services behind one
// http.Handler: each Marketplace (GitLab's Customers Portal, Microsoft's
// commercial marketplace) mounted once, with the shared /_sandbox control
// API (health, reset, clock, faults, journal) beside them. It never
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
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/metrics"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Sandbox is a running set of fake services.
type Sandbox struct {
	cfg   Config
	log   *slog.Logger
	clock *clock.Clock
	// markets are the marketplaces served, in the order of the
	// marketplaces setting; requests go to the first that owns them.
	markets  []Marketplace
	faults   *fault.Store
	inject   *fault.Injector
	journal  *journal.Store
	caPEM    []byte
	recorder *journal.Recorder
	router   *mux.Router
	handler  http.Handler
	ready    atomic.Bool
	// fixtures and opts are what the sandbox was built with; sessions
	// build their own sandboxes from them.
	fixtures fixtures.Fixtures
	opts     options
	sessions *sessionStore
	// metrics are the sandbox's own, or for a session's sandbox its
	// opener's (ownsMetrics false); see metrics.go.
	metrics     *metrics.Metrics
	ownsMetrics bool
}

// Option configures a Sandbox.
type Option func(*options)

type options struct {
	log      *slog.Logger
	fixtures *fixtures.Fixtures
	baseURL  string
	client   *http.Client
	caPEM    []byte
	// outbound journals a request a marketplace sent (set by New, once
	// the journal exists).
	outbound func(journal.Entry)
	// evicted tells the sandbox of the records a marketplace's retention
	// forgot (set by New, once the sandbox exists).
	evicted func(marketplace string) retention.Observer
	// tokenPrefix starts the GitLab portal's tokens (a session's id);
	// observe sees every journal entry (a session's challenges).
	tokenPrefix string
	observe     func(journal.Entry)
	// authority is where the token service is reached when that is not
	// the base URL: a session's, whose Entra paths are at the sandbox's
	// root (routed by tenant), so its webhooks' iss matches the
	// discovery document the publisher reads there.
	authority string
	// metrics are the sandbox's, or its opener's for a session's
	// sandbox; the marketplaces' stores count evictions into them
	// (options.evictions).
	metrics *metrics.Metrics
}

// withAuthority sets where the Microsoft token service is reached.
func withAuthority(base string) Option { return func(o *options) { o.authority = base } }

// withTokenPrefix starts every GitLab token with prefix: a session's
// sandbox, whose tokens the sandbox routes back to it.
func withTokenPrefix(prefix string) Option { return func(o *options) { o.tokenPrefix = prefix } }

// withJournalObserver hands every journal entry to f as it is stored.
func withJournalObserver(f func(journal.Entry)) Option { return func(o *options) { o.observe = f } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithFixtures replaces the embedded default fixtures.
func WithFixtures(f fixtures.Fixtures) Option { return func(o *options) { o.fixtures = &f } }

// WithBaseURL says where the sandbox is reachable, e.g.
// "http://127.0.0.1:8080"; the fake Zuora posts its callouts there.
func WithBaseURL(url string) Option { return func(o *options) { o.baseURL = url } }

// WithHTTPClient sets the client used for outbound calls (callouts).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithCAPEM serves the certificate authority that signed the sandbox's
// HTTPS certificate at GET /_sandbox/ca.pem, for clients to trust.
func WithCAPEM(pem []byte) Option { return func(o *options) { o.caPEM = pem } }

// New builds a sandbox from cfg. It is not ready (health answers 503) and
// no timer fires until Run is called.
func New(cfg Config, opts ...Option) (*Sandbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.resolveControlToken(); err != nil {
		return nil, err
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), client: &http.Client{}}
	for _, opt := range opts {
		opt(&o)
	}
	var fx fixtures.Fixtures
	if o.fixtures != nil {
		fx = *o.fixtures
	} else {
		fx = fixtures.Default()
	}
	ownsMetrics := o.metrics == nil // a session's sandbox reports into its opener's (metrics.go)
	if ownsMetrics {
		o.metrics = newMetrics()
	}
	s := &Sandbox{cfg: cfg, log: o.log, clock: cfg.newClock(), caPEM: o.caPEM, fixtures: fx, opts: o,
		sessions: newSessionStore(cfg.Sessions), metrics: o.metrics, ownsMetrics: ownsMetrics}
	// Marketplaces are built before the recorder, which needs their
	// secrets; their outbound requests reach it once it is there.
	o.outbound = func(e journal.Entry) {
		if rec := s.recorder; rec != nil {
			rec.Outbound(e)
		}
	}
	o.evicted = s.evictionObserver
	for _, name := range cfg.Marketplaces {
		m, err := catalogue[name].build(cfg, fx, s.clock, o)
		if err != nil {
			return nil, err
		}
		s.markets = append(s.markets, m)
	}
	s.setUpMetrics()
	if err := s.buildFaults(); err != nil {
		return nil, err
	}
	s.journal = journal.NewStore(cfg.Journal, journal.WithObserver(o.observe))
	s.router = s.routes()
	s.handler = s.measure(s.routeSessions(s.middleware(dispatch(s.router))))
	return s, nil
}

// buildFaults makes the fault store from the config file's rules, and the
// injector that tells the journal which rule fired.
func (s *Sandbox) buildFaults() error {
	store, err := fault.NewStore(s.clock.Now, uint64(s.cfg.FaultSeed), s.faultTargets(), s.cfg.Faults)
	if err != nil {
		return err
	}
	s.faults = store
	s.inject = fault.NewInjector(store, s.faultAPI, fault.WithMaxHang(s.cfg.FaultMaxHang), fault.WithInternal(s.internal), fault.WithFired(s.metrics.FaultFired),
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.sessions.run(ctx)
	}()
	defer func() { <-done }()
	s.clock.Run(ctx)
}

// ReleaseFaults ends every hang and fault latency at once (a hung
// connection is closed), so that a server shutdown does not wait for them;
// register it with http.Server.RegisterOnShutdown. Run calls it when it
// ends.
func (s *Sandbox) ReleaseFaults() { s.inject.Close() }

// Reset forgets all state (every marketplace's, pending work and the
// journal) and restores the config file's fault
// rules with their counters at zero; the clock keeps its time and the
// fault seed stays.
func (s *Sandbox) Reset() {
	s.clock.Quiesce(func() {
		for _, m := range s.markets {
			m.Reset()
		}
	})
	s.faults.Reset()
	s.journal.Clear()
}
