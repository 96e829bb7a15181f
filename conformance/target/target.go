// Package target describes the implementation under test: where it is,
// which credentials the scenarios use, and which optional capabilities it
// offers. A target is configured from a YAML file, CONFORMANCE_* variables
// and flags; against our sandbox nothing needs configuring, because the
// sandbox publishes its fixtures and health on its control API.
package target

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// Capabilities of our sandbox that real portals do not have; see
// scenario.Capabilities for what each offers.
const (
	CapabilityControl = scenario.CapabilityControl
	CapabilityFaults  = scenario.CapabilityFaults
	CapabilityScripts = scenario.CapabilityScripts
	CapabilityMagic   = scenario.CapabilityMagic
)

// Credential is one OAuth client of the target.
type Credential struct {
	ClientID     string `yaml:"clientId" json:"clientId"`
	ClientSecret string `yaml:"clientSecret" json:"clientSecret"`
	// Scope is what the harness requests for this client by default,
	// space separated.
	Scope string `yaml:"scope" json:"scope"`
	// TradingPartnerID is permitted for this client's partner.
	TradingPartnerID string `yaml:"tradingPartnerId" json:"tradingPartnerId"`
	// PartnerID is the partner's id in our sandbox's fixtures, which fault
	// rules and back-office scripts name; discovered, never required.
	PartnerID string `yaml:"partnerId" json:"partnerId"`
}

// Config is everything the harness needs to know about a target.
type Config struct {
	// URL is the API root, e.g. https://customers.staging.gitlab.com.
	URL string `yaml:"target"`
	// Credentials by scenario name: "create" (may create subscriptions),
	// "readonly" (read scope only), "second" (another partner, may create).
	Credentials map[string]Credential `yaml:"credentials"`
	// ProductID is a product the create credential may order.
	ProductID string `yaml:"productId"`
	// Capabilities the target offers; nil means "discover".
	Capabilities []string `yaml:"capabilities"`
}

// Target is a checked Config, ready for the engine.
type Target struct {
	// BaseURL is the API root without a trailing slash.
	BaseURL     *url.URL
	Credentials map[string]Credential
	ProductID   string
	// Capabilities is the set the target offers.
	Capabilities map[string]bool
}

// Resolve checks that c names a URL, every credential and a product, and
// returns the Target. Missing pieces are listed together.
func (c Config) Resolve() (Target, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, fmt.Errorf("target: want an http(s) URL, got %q", c.URL)
	}
	var missing []string
	for _, name := range scenario.CredentialNames() {
		cr := c.Credentials[name]
		if cr.ClientID == "" || cr.ClientSecret == "" || cr.Scope == "" {
			missing = append(missing, "credentials."+name+" (clientId, clientSecret, scope)")
		}
	}
	for _, name := range []string{"create", "second"} {
		if c.Credentials[name].TradingPartnerID == "" {
			missing = append(missing, "credentials."+name+".tradingPartnerId")
		}
	}
	if c.ProductID == "" {
		missing = append(missing, "productId")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Target{}, fmt.Errorf("target %s: missing configuration: %s", u, strings.Join(missing, "; "))
	}
	caps := map[string]bool{}
	for i, cp := range c.Capabilities {
		if err := checkCapability(cp, c.Capabilities[:i]); err != nil {
			return Target{}, fmt.Errorf("capabilities: %w", err)
		}
		caps[cp] = true
	}
	return Target{BaseURL: u, Credentials: c.Credentials, ProductID: c.ProductID, Capabilities: caps}, nil
}

// Secrets returns the client secrets, so that reports can mask them.
func (t Target) Secrets() []string {
	var out []string
	for _, c := range t.Credentials {
		out = append(out, c.ClientSecret)
	}
	return out
}
