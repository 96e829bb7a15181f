package sandbox

import (
	"fmt"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// offering is a marketplace the sandbox knows how to build, and what the
// configuration needs of it before it is built (to check fault rules).
type offering struct {
	faultStatuses func() []int
	build         func(cfg Config, fx fixtures.Fixtures, clk *clock.Clock, o options) (Marketplace, error)
}

// baseURLOr is where the sandbox says it is reachable, or what a default
// listen address would be.
func baseURLOr(o options) string {
	if o.baseURL != "" {
		return o.baseURL
	}
	return "http://127.0.0.1:8080"
}

// catalogue lists every marketplace the sandbox can serve, by the name
// the marketplaces setting, fault rules and the journal use.
var catalogue = map[string]offering{
	"gitlab": {
		faultStatuses: gitlab.FaultStatuses,
		build: func(cfg Config, fx fixtures.Fixtures, clk *clock.Clock, o options) (Marketplace, error) {
			return gitlab.New(cfg.GitLab, fx.GitLab, clk,
				gitlab.WithLogger(o.log), gitlab.WithBaseURL(o.baseURL), gitlab.WithHTTPClient(o.client),
				gitlab.WithTokenPrefix(o.tokenPrefix), gitlab.WithRetention(cfg.Retention, o.evicted("gitlab")))
		},
	},
	"microsoft": {
		faultStatuses: microsoft.FaultStatuses,
		build: func(cfg Config, fx fixtures.Fixtures, clk *clock.Clock, o options) (Marketplace, error) {
			// The token service signs and checks the fulfillment API's
			// tokens and the webhooks' JWTs; the marketplace gives it its
			// publishers' apps (and gives them again on a reset).
			authority := baseURLOr(o)
			if o.authority != "" {
				authority = o.authority
			}
			issuer, err := entra.New(cfg.Microsoft.Entra, clk, nil, entra.WithBaseURL(authority), entra.WithLogger(o.log))
			if err != nil {
				return nil, err
			}
			var evicted retention.Observer
			if o.evicted != nil {
				evicted = o.evicted("microsoft")
			}
			return microsoft.New(cfg.Microsoft, fx.Microsoft, clk,
				microsoft.WithLogger(o.log), microsoft.WithBaseURL(baseURLOr(o)), microsoft.WithHTTPClient(o.client),
				microsoft.WithAuthenticator(issuer), microsoft.WithSigner(issuer), microsoft.WithWebhookVerifier(issuer),
				microsoft.WithTokenIssuer(issuer), microsoft.WithOutboundJournal(o.outbound),
				microsoft.WithRetention(cfg.Retention, evicted))
		},
	},
}

// marketplaceNames lists the catalogue, sorted.
func marketplaceNames() []string {
	names := make([]string, 0, len(catalogue))
	for name := range catalogue {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// marketplacesErrors checks the marketplaces setting: known names, each
// once, at least one.
func (c Config) marketplacesErrors() []error {
	if len(c.Marketplaces) == 0 {
		return []error{fmt.Errorf("marketplaces: name at least one of %s", strings.Join(marketplaceNames(), ", "))}
	}
	var errs []error
	seen := map[string]bool{}
	for i, name := range c.Marketplaces {
		switch {
		case catalogue[name].build == nil:
			errs = append(errs, fmt.Errorf("marketplaces[%d]: %q is not a marketplace the sandbox serves (%s)",
				i, name, strings.Join(marketplaceNames(), ", ")))
		case seen[name]:
			errs = append(errs, fmt.Errorf("marketplaces[%d]: %q is named twice", i, name))
		}
		seen[name] = true
	}
	return errs
}

// faultAPIs are the marketplaces fault rules may target: those served,
// so that a rule for one that is not is refused instead of never firing.
func (c Config) faultAPIs() []fault.API {
	var apis []fault.API
	for _, name := range c.Marketplaces {
		if o, ok := catalogue[name]; ok {
			apis = append(apis, fault.API{Name: name, Statuses: o.faultStatuses()})
		}
	}
	return apis
}
