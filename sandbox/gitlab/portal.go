// Package gitlab is the fake GitLab Customers Portal: the Marketplace API a
// partner integrates with (OAuth tokens, create a subscription, read its
// status) and the back office behind it (a fake Zuora with callouts, a fake
// Salesforce, the license notification), all driven by the sandbox clock.
package gitlab

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/salesforce"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Portal is the fake Customers Portal with its back office.
type Portal struct {
	settings  Settings
	fixtures  fixtures.GitLab
	partners  map[string]fixtures.Partner
	products  map[string]fixtures.Product
	clock     *clock.Clock
	log       *slog.Logger
	validator *openapi.Pending

	clients       *oauth.Registry
	tokens        *oauth.Store
	subscriptions *subscription.Store
	zuora         *zuora.Zuora
	callouts      *zuora.Dispatcher
	received      *notificationLog
	salesforce    *salesforce.Salesforce
	outbox        *license.Outbox
	scripts       *script.Store
}

// Option configures a Portal.
type Option func(*options)

type options struct {
	log         *slog.Logger
	calloutURL  string
	client      *http.Client
	wallClock   func() time.Time
	tokenPrefix string
	// retention bounds the final orders kept; observeEviction is told
	// what it evicted.
	retention       retention.Policy
	observeEviction retention.Observer
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithBaseURL tells the portal where it is reachable, so the fake Zuora can
// post callouts to its /zuora/callouts endpoint over real HTTP. The
// zuora.callout_url setting, when set, wins.
func WithBaseURL(url string) Option {
	return func(o *options) { o.calloutURL = url + CalloutPath }
}

// WithHTTPClient sets the client the fake Zuora uses for callouts.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithWallClock sets the real clock token lifetimes run on with
// gitlab.token_clock wall (default: time.Now); tests inject their own.
func WithWallClock(now func() time.Time) Option { return func(o *options) { o.wallClock = now } }

// WithTokenPrefix starts every access token the portal issues with
// prefix (URL-safe base64 characters; the token keeps its 43 characters),
// so that a sandbox serving several workspaces routes a bearer token to
// the one that issued it.
func WithTokenPrefix(prefix string) Option { return func(o *options) { o.tokenPrefix = prefix } }

// WithRetention bounds the final orders the portal keeps (the sandbox's
// retention setting) and tells observe of every eviction.
func WithRetention(p retention.Policy, observe retention.Observer) Option {
	return func(o *options) { o.retention, o.observeEviction = p, observe }
}

// specValidator is the validator of the portal's OpenAPI document, built
// once per process: it depends on the embedded document alone and is safe
// for concurrent use, and building it costs about 10 ms and a megabyte,
// which every session's portal would pay again.
var specValidator = sync.OnceValue(func() *openapi.Pending { return openapi.Prepare(spec.YAML) })

// New builds a portal. It fails if the settings or fixtures are invalid.
func New(s Settings, fx fixtures.GitLab, clk *clock.Clock, opts ...Option) (*Portal, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := (fixtures.Fixtures{GitLab: fx}).Validate(); err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), client: &http.Client{}, wallClock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if s.Zuora.CalloutURL != "" {
		o.calloutURL = s.Zuora.CalloutURL
	}
	p := &Portal{
		settings: s, fixtures: fx, clock: clk, log: o.log, validator: specValidator(),
		partners: map[string]fixtures.Partner{},
		products: map[string]fixtures.Product{},
		tokens: oauth.NewStore(tokenClock(s, clk, o.wallClock), s.TokenLifetime, oauth.WithPrefix(o.tokenPrefix),
			oauth.WithBounds(s.TokenKeepExpired, s.MaxTokens), oauth.WithForgotten(forgottenTokens(o.observeEviction))),
		zuora:      zuora.New(),
		received:   newNotificationLog(),
		salesforce: salesforce.New(),
		outbox:     license.NewOutbox(s.License.SMTPAddr, s.License.MaxMessages),
	}
	clients := make([]oauth.Client, 0, len(fx.Partners))
	for _, partner := range fx.Partners {
		p.partners[partner.ID] = partner
		clients = append(clients, oauth.Client{ID: partner.ClientID, Secret: partner.ClientSecret, Owner: partner.ID, Scopes: partner.Scopes})
	}
	for _, product := range fx.Products {
		p.products[product.ID] = product
	}
	p.clients = oauth.NewRegistry(clients)
	if err := errors.Join(s.scriptErrors(p.knownPartner)...); err != nil {
		return nil, err
	}
	p.scripts = script.NewStore(s.configScripts())
	p.callouts = zuora.NewDispatcher(clk, o.client, zuora.CalloutPolicy{
		URL:           o.calloutURL,
		Attempts:      s.Zuora.CalloutAttempts,
		RetryInterval: s.Zuora.CalloutRetryInterval,
		Preemptive:    s.Zuora.CalloutAuth == "preemptive",
		Username:      s.Zuora.CalloutUsername,
		Password:      s.Zuora.CalloutPassword,
		Timeout:       s.Zuora.CalloutTimeout,
		Keep:          s.Zuora.MaxDeliveries,
	}, p.noteDelivery)
	p.subscriptions = subscription.NewBoundedStore(subscription.StoreOptions{
		Retention: o.retention, Now: clk.Now, Observe: o.observeEviction,
		Moving:  p.callouts.Busy,
		Evicted: p.forget,
	})
	return p, nil
}

// Reset forgets every token, subscription, callout and email, and puts
// the back-office scripts back to those of the configuration file.
// Scheduled work lives on the clock, which the sandbox clears with it.
func (p *Portal) Reset() {
	p.scripts.Reset()
	p.tokens.Reset()
	p.subscriptions.Reset()
	p.zuora.Reset()
	p.callouts.Reset()
	p.received.reset()
	p.salesforce.Reset()
	p.outbox.Reset()
}

// forgottenTokens counts the tokens the token store forgot in the
// metrics (sandbox_records_evicted_total{kind="tokens"}), without a
// journal note: a client fetching a token per call past
// gitlab.max_tokens makes the store forget one per call.
func forgottenTokens(observe retention.Observer) func(int) {
	if observe == nil {
		return nil
	}
	return func(n int) {
		observe(retention.Eviction{Kind: "tokens", Listing: "/_sandbox/gitlab/tokens", Reason: retention.ReasonMaxRecords, Count: n, Quiet: true})
	}
}

// forget drops what the portal kept beside orders that retention
// evicted: the callouts they received (the outbox and the callout log
// are bounded on their own).
func (p *Portal) forget(gone []subscription.Evicted) {
	numbers := make([]string, 0, len(gone))
	for _, g := range gone {
		if g.Number != "" {
			numbers = append(numbers, g.Number)
		}
	}
	p.received.forget(numbers)
}

// knownPartner reports whether a partner id exists in the fixtures.
func (p *Portal) knownPartner(id string) bool {
	_, ok := p.partners[id]
	return ok
}

// planFor resolves, at the moment a back-office step happens, what the
// scripts in force ask of the partner's order. Precedence, field by field:
// scripts for this subscription (newest first), then the order's magic
// values, then the partner's scripts, then scripts for every order.
func (p *Portal) planFor(key subscription.Key, order subscription.Order) script.Plan {
	levels := p.scripts.Matching(key.Partner, key.ExternalID)
	ordered := levels[script.ForSubscription]
	if p.settings.MagicValues {
		ordered = append(ordered, magicScripts(order)...)
	}
	ordered = append(ordered, levels[script.ForPartner]...)
	return script.PlanOf(append(ordered, levels[script.ForAll]...))
}

// tokenClock is the clock token lifetimes run on (gitlab.token_clock).
func tokenClock(s Settings, clk *clock.Clock, wall func() time.Time) func() time.Time {
	if s.TokenClock == TokenClockWall {
		return wall
	}
	return clk.Now
}
