// Package microsoft is the fake Microsoft commercial marketplace: the SaaS
// Fulfillment API v2 a publisher integrates with (resolve, activate, list,
// get, change plan or quantity, unsubscribe, operations), the purchases
// and customer events of Microsoft's side driven through the control API,
// the lifecycle on the sandbox clock (terms, free trials, the 30-day
// rule), the webhooks to each publisher, and a sample publisher (webhook
// receiver and landing page) so the quick start needs no app of one's own.
// docs/microsoft.md is the spec the comments cite.
package microsoft

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Principal is who a fulfillment API call comes from: the tenant and the
// app id of its Entra token (docs/microsoft.md §2).
type Principal = entra.Principal

// Authenticator checks a fulfillment API request's bearer token; any
// error is answered 403 (docs/microsoft.md §1).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// Signer signs the JWT of one webhook delivery, for the publisher's
// tenant with the publisher's app id as audience (docs/microsoft.md §6).
type Signer interface {
	SignWebhook(tenantID, audience string) (string, error)
}

// WebhookVerifier checks the bearer token of a webhook the sample
// publisher receives, as a publisher would against the discovery document.
type WebhookVerifier interface {
	VerifyWebhook(token, tenantID, audience string) error
}

// TokenIssuer is the Entra-like token service mounted beside the
// fulfillment API (*entra.Issuer): its routes, its envelope for the
// paths shaped like Entra's (entra.IsTokenPath), its journal and fault
// hooks, and the apps it knows, which are the publishers'.
type TokenIssuer interface {
	Routes(r *mux.Router)
	NotFound(w http.ResponseWriter, r *http.Request)
	MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string)
	WriteFault(w http.ResponseWriter, r *http.Request, status int, message string)
	Identify(r *http.Request) (publisherID, clientID string)
	Secrets() journal.Secrets
	SetApps(apps []entra.App)
}

// Marketplace is the fake commercial marketplace.
type Marketplace struct {
	settings Settings
	clock    *clock.Clock
	// answerBuffers hold the bytes of answers written by hand (a
	// subscription: about 1 KB, the most frequent answer), reused once
	// written.
	answerBuffers sync.Pool
	log           *slog.Logger
	opts          options

	catalog    catalog
	publishers *publisherStore
	subs       *subscription.Store
	tokens     *tokenStore
	webhooks   *deliveryLog
	received   *receivedLog
	meters     *meterStore
	rules      *webhookRules
	timers     timerStore
	sender     sender
	// secret signs continuation tokens.
	secret [32]byte
}

// Option configures a Marketplace.
type Option func(*options)

type options struct {
	log      *slog.Logger
	baseURL  string
	client   *http.Client
	auth     Authenticator
	signer   Signer
	verifier WebhookVerifier
	issuer   TokenIssuer
	journal  func(journal.Entry)
	plan     func(subscriptionID, action string) outbound.Plan
	// retention and evicted: see WithRetention.
	retention retention.Policy
	evicted   retention.Observer
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithBaseURL is where the sandbox is reachable, for what is built with no
// request at hand: webhook URLs given as paths, and Operation-Location.
func WithBaseURL(url string) Option { return func(o *options) { o.baseURL = url } }

// WithHTTPClient sets the client webhooks are posted with.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithAuthenticator sets who checks fulfillment API tokens; without one
// every call is 403.
func WithAuthenticator(a Authenticator) Option { return func(o *options) { o.auth = a } }

// WithSigner sets who signs webhook JWTs; without one webhooks carry no
// Authorization header.
func WithSigner(s Signer) Option { return func(o *options) { o.signer = s } }

// WithWebhookVerifier sets how the sample publisher checks the JWT of the
// webhooks it receives; without one it records them unverified.
func WithWebhookVerifier(v WebhookVerifier) Option { return func(o *options) { o.verifier = v } }

// WithOutboundJournal journals every webhook request and its answer
// (the sandbox passes its recorder's Outbound).
func WithOutboundJournal(f func(journal.Entry)) Option { return func(o *options) { o.journal = f } }

// WithWebhookPlans says how each webhook is treated beyond the schedule
// (a delay, held, dropped, copies, reordered: outbound.Plan), from the
// faults or scripts in force; default: sent at once.
func WithWebhookPlans(f func(subscriptionID, action string) outbound.Plan) Option {
	return func(o *options) { o.plan = f }
}

// WithTokenIssuer mounts the Entra-like token service with the marketplace.
func WithTokenIssuer(t TokenIssuer) Option { return func(o *options) { o.issuer = t } }

// New builds the marketplace. It fails if the settings or fixtures are invalid.
func New(s Settings, fx fixtures.Microsoft, clk *clock.Clock, opts ...Option) (*Marketplace, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := fx.Validate(); err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), client: &http.Client{}, baseURL: "http://localhost:8080",
		plan: func(string, string) outbound.Plan { return outbound.Plan{} }}
	for _, opt := range opts {
		opt(&o)
	}
	m := &Marketplace{
		settings: s, clock: clk, log: o.log, opts: o,
		catalog:    newCatalog(fx),
		publishers: newPublisherStore(fx.Publishers),
		subs:       subscription.NewStore(o.retention),
		tokens:     newTokenStore(),
		webhooks:   newDeliveryLog(s.Webhook.MaxDeliveries),
		received:   newReceivedLog(s.Webhook.MaxDeliveries),
		meters:     newMeterStore(s.MaxUsageEvents),
		rules:      &webhookRules{},
	}
	_, _ = rand.Read(m.secret[:])
	m.sender = newOutboundSender(m)
	m.registerApps()
	return m, nil
}

// Name is the marketplace's name in fault rules, the journal and routes.
func (m *Marketplace) Name() string { return "microsoft" }

// Reset forgets every subscription, token, operation and delivery, and
// restores the publishers of the fixtures (their webhook and landing-page
// URLs included). Scheduled work lives on the clock, which the sandbox
// clears with it (Reset runs inside clock.Quiesce).
func (m *Marketplace) Reset() {
	m.subs.Reset()
	m.tokens.reset()
	m.publishers.reset()
	m.webhooks.reset()
	m.received.reset()
	m.meters.reset()
	m.rules.reset()
	m.timers.reset()
	m.sender.reset()
	m.registerApps()
}

// registerApps gives the token service the publishers' apps (their
// secrets cannot change, so the fixtures' are always right).
func (m *Marketplace) registerApps() {
	if m.opts.issuer == nil {
		return
	}
	apps := make([]entra.App, 0, len(m.publishers.initial))
	for _, p := range m.publishers.initial {
		apps = append(apps, entra.App{TenantID: p.TenantID, ClientID: p.ClientID, ClientSecret: p.ClientSecret, PublisherID: p.ID})
	}
	m.opts.issuer.SetApps(apps)
}

// now is the sandbox time.
func (m *Marketplace) now() time.Time { return m.clock.Now() }
