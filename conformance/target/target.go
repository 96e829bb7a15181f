// Package target describes the implementation under test: where it is,
// which credentials the scenarios use, and which optional capabilities it
// offers. A target is configured from a YAML file, CONFORMANCE_* variables
// and flags; against our sandbox nothing needs configuring, because the
// sandbox publishes its fixtures and health on its control API.
package target

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// Capabilities of our sandbox that real portals do not have; see
// scenario.Capabilities for what each offers.
const (
	CapabilityControl  = scenario.CapabilityControl
	CapabilityFaults   = scenario.CapabilityFaults
	CapabilityScripts  = scenario.CapabilityScripts
	CapabilityMagic    = scenario.CapabilityMagic
	CapabilityClock    = scenario.CapabilityClock
	CapabilityWebhooks = scenario.CapabilityWebhooks
	CapabilityTokens   = scenario.CapabilityTokens
)

// The kinds of control API a target may have (Config.Control).
const (
	// ControlSandbox is our sandbox's /_sandbox, discovered (the default).
	ControlSandbox = "sandbox"
	// ControlEmulator is Microsoft's Node emulator's own routes
	// (microsoft/Commercial-Marketplace-SaaS-API-Emulator): purchases,
	// marketplace events and webhooks, no clock and no faults.
	ControlEmulator = "emulator"
	// ControlNone is a target without one, such as the live service: only
	// the scenarios that need no capability run.
	ControlNone = "none"
)

// ControlKinds lists the values of Config.Control.
func ControlKinds() []string { return []string{ControlSandbox, ControlEmulator, ControlNone} }

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
	// Control is the kind of control API the target has (ControlKinds);
	// empty means our sandbox's, discovered.
	Control string `yaml:"control"`
	// ControlToken is our sandbox's control_token, sent as a Bearer token
	// with the control API's requests only (package controlauth), never
	// with the marketplace API's.
	ControlToken string `yaml:"controlToken"`
	// Microsoft describes the target's SaaS Fulfillment and Metering APIs.
	Microsoft MicrosoftConfig `yaml:"microsoft"`
	// Profile is what discovery read of our sandbox's Microsoft profile;
	// never configured.
	Profile string `yaml:"-"`
}

// MicrosoftConfig is what Microsoft scenarios need of a target: the
// publishers' apps, the token service, and the catalogue they buy from.
// Against our sandbox every value is discovered.
type MicrosoftConfig struct {
	// Authority is the root of the Entra token service
	// (https://login.microsoftonline.com for the live service); default
	// the target itself, as our sandbox and the emulator serve tokens.
	Authority string `yaml:"authority"`
	// Publishers by scenario name: "publisher" (whose subscriptions the
	// scenarios use) and "second" (another publisher, for isolation).
	Publishers map[string]Publisher `yaml:"publishers"`
	// The catalogue: an offer of the publisher and plans of it.
	OfferID       string `yaml:"offerId"`
	PerSeatPlan   string `yaml:"perSeatPlan"`
	PerSeatMax    int    `yaml:"perSeatMax"`
	FlatPlan      string `yaml:"flatPlan"`
	OtherFlatPlan string `yaml:"otherFlatPlan"`
	MeteredPlan   string `yaml:"meteredPlan"`
	Dimension     string `yaml:"dimension"`
	TrialPlan     string `yaml:"trialPlan"`
	// SubscriptionID is an existing test subscription of the publisher,
	// which read-only scenarios read on a target without control.
	SubscriptionID string `yaml:"subscriptionId"`
}

// Publisher is one Entra app of a Microsoft publisher.
type Publisher struct {
	TenantID     string `yaml:"tenantId" json:"tenantId"`
	ClientID     string `yaml:"clientId" json:"clientId"`
	ClientSecret string `yaml:"clientSecret" json:"clientSecret"`
	// PublisherID is the publisher's id in our sandbox's fixtures;
	// discovered, never required.
	PublisherID string `yaml:"publisherId" json:"publisherId"`
	// WebhookURL is where our sandbox delivered the publisher's webhooks
	// before the run (discovered): what a scenario that pointed them at
	// the harness puts back.
	WebhookURL string `yaml:"-" json:"-"`
}

// Target is a checked Config, ready for the engine.
type Target struct {
	// BaseURL is the API root without a trailing slash.
	BaseURL     *url.URL
	Credentials map[string]Credential
	ProductID   string
	// Capabilities is the set the target offers.
	Capabilities map[string]bool
	// Control is the kind of control API (ControlKinds).
	Control string
	// Microsoft is the resolved Microsoft part; nil when no Microsoft
	// scenario runs.
	Microsoft *Microsoft
	// Profile is the profile our sandbox says it serves Microsoft's API
	// in ("docs" or "observed"); empty when the target does not say.
	Profile string
}

// Microsoft is a checked MicrosoftConfig.
type Microsoft struct {
	// Authority is the token service's root, without a trailing slash.
	Authority  *url.URL
	Publishers map[string]Publisher
	// Fields are the catalogue's ${target.*} values by name
	// (scenario.MicrosoftTargetFields), those given or discovered.
	Fields map[string]string
}

// Resolve checks that c names a URL and what the scenarios of the given
// APIs need (GitLab: every credential and a product; Microsoft: the
// publisher's app), and returns the Target. Missing pieces are listed
// together.
func (c Config) Resolve(apis ...string) (Target, error) {
	u, err := parseRoot("target", c.URL)
	if err != nil {
		return Target{}, err
	}
	if len(apis) == 0 {
		apis = []string{scenario.APIGitLab}
	}
	var missing []string
	t := Target{BaseURL: u, Credentials: c.Credentials, ProductID: c.ProductID, Control: c.Control, Profile: c.Profile}
	if t.Control == "" {
		t.Control = ControlSandbox
	}
	if !slices.Contains(ControlKinds(), t.Control) {
		return Target{}, &scenario.UnknownNameError{What: "control kind", Where: "control", Name: c.Control, Known: ControlKinds()}
	}
	if slices.Contains(apis, scenario.APIGitLab) {
		missing = append(missing, c.missingGitLab()...)
	}
	if slices.Contains(apis, scenario.APIMicrosoft) {
		ms, more, err := c.Microsoft.resolve(u)
		if err != nil {
			return Target{}, err
		}
		t.Microsoft, missing = ms, append(missing, more...)
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
	t.Capabilities = caps
	return t, nil
}

// parseRoot reads an http(s) URL without a trailing slash.
func parseRoot(what, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: want an http(s) URL, got %q", what, raw)
	}
	return u, nil
}

// missingGitLab lists what GitLab's scenarios need and c lacks.
func (c Config) missingGitLab() []string {
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
	return missing
}

// resolve checks the Microsoft part: the publisher's app is required (the
// second publisher only by the scenarios that use it, which are skipped
// without it), the catalogue's values are whatever is known.
func (m MicrosoftConfig) resolve(base *url.URL) (*Microsoft, []string, error) {
	out := &Microsoft{Authority: base, Publishers: map[string]Publisher{}, Fields: map[string]string{}}
	if m.Authority != "" {
		a, err := parseRoot("microsoft.authority", m.Authority)
		if err != nil {
			return nil, nil, err
		}
		out.Authority = a
	}
	var missing []string
	for _, name := range scenario.CredentialNamesFor(scenario.APIMicrosoft) {
		p, ok := m.Publishers[name]
		switch {
		case ok && (p.TenantID == "" || p.ClientID == "" || p.ClientSecret == ""):
			missing = append(missing, "microsoft.publishers."+name+" (tenantId, clientId, clientSecret)")
		case ok:
			out.Publishers[name] = p
		case name == "publisher":
			missing = append(missing, "microsoft.publishers.publisher (tenantId, clientId, clientSecret)")
		}
	}
	for k, v := range m.fields() {
		if v != "" {
			out.Fields[k] = v
		}
	}
	return out, missing, nil
}

// fields are the catalogue's values by ${target.*} name.
func (m MicrosoftConfig) fields() map[string]string {
	max := ""
	if m.PerSeatMax > 0 {
		max = strconv.Itoa(m.PerSeatMax)
	}
	return map[string]string{
		"offerId": m.OfferID, "perSeatPlan": m.PerSeatPlan, "perSeatMax": max, "flatPlan": m.FlatPlan,
		"otherFlatPlan": m.OtherFlatPlan, "meteredPlan": m.MeteredPlan, "dimension": m.Dimension,
		"trialPlan": m.TrialPlan, "subscriptionId": m.SubscriptionID,
	}
}

// Secrets returns the client secrets, so that reports can mask them.
func (t Target) Secrets() []string {
	var out []string
	for _, c := range t.Credentials {
		out = append(out, c.ClientSecret)
	}
	if t.Microsoft != nil {
		for _, p := range t.Microsoft.Publishers {
			out = append(out, p.ClientSecret)
		}
	}
	return out
}

// APIsOf lists the APIs a (discovered) configuration can be checked on:
// GitLab's when it has GitLab credentials or a product, Microsoft's when
// it has a Microsoft publisher.
func APIsOf(c Config) []string {
	var out []string
	if len(c.Credentials) > 0 || c.ProductID != "" {
		out = append(out, scenario.APIGitLab)
	}
	if len(c.Microsoft.Publishers) > 0 {
		out = append(out, scenario.APIMicrosoft)
	}
	return out
}
