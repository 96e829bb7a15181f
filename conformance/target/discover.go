package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable wraps every failure to reach the target at all.
var ErrUnreachable = errors.New("target unreachable")

// ErrControlToken wraps a sandbox's refusal of the control token: it has
// one (control_token) and none or another was given. It is a mistake in
// the run's configuration, not an unreachable target.
var ErrControlToken = errors.New("control token refused")

// Probe makes one request to the target's root with a short timeout. Any
// HTTP answer, even a 404, proves the target is there; a refused
// connection, a DNS failure or silence does not.
func Probe(ctx context.Context, client *http.Client, rawURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(rawURL, "/")+"/", nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s did not answer within %s: %v", ErrUnreachable, rawURL, timeout, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return nil
}

// sandboxFixtures is GET /_sandbox/gitlab/fixtures of our sandbox.
type sandboxFixtures struct {
	Partners []struct {
		ID                string   `json:"id"`
		ClientID          string   `json:"clientId"`
		ClientSecret      string   `json:"clientSecret"`
		Scopes            []string `json:"scopes"`
		TradingPartnerIDs []string `json:"tradingPartnerIds"`
	} `json:"partners"`
	Products []struct {
		ID string `json:"id"`
	} `json:"products"`
}

const (
	scopeRead   = "marketplace.order:read"
	scopeCreate = "marketplace.order:create"
)

// Discover completes c from the target itself. When c does not list
// capabilities, "control" is added if GET /_sandbox/health answers 200,
// and then "faults" if GET /_sandbox/faults does, "scripts" if GET
// /_sandbox/gitlab/scripts does, and "magic" (the order values that act as
// scripts) if GET /_sandbox/gitlab/magic says they are enabled.
// With control, missing credentials and product come from
// GET /_sandbox/gitlab/fixtures: the first partner allowed to create is
// "create", the next one "second", and a partner with only the read scope
// "readonly". Values already in c are kept.
//
// Only an HTTP answer that is not a 5xx (a 404, a 401, a redirect to a
// login page) means a capability is absent. A 5xx, no answer, or a 200
// that is not the JSON the sandbox sends is a discovery error: taking it
// for "absent" would skip every scenario that needs the capability and
// let a broken sandbox pass a run.
//
// A target whose configuration says `control: emulator` or `control: none`
// is not probed: the emulator offers control (purchases, events) and
// webhooks through the engine's adapter, a target without control nothing.
func Discover(ctx context.Context, client *http.Client, c Config) (Config, error) {
	switch c.Control {
	case ControlNone:
		// the live service: its token service is Entra (microsoft.authority)
		if c.Capabilities == nil {
			c.Capabilities = []string{CapabilityTokens}
		}
		return c, nil
	case ControlEmulator:
		if c.Capabilities == nil {
			c.Capabilities = []string{CapabilityControl, CapabilityWebhooks}
		}
		c.Microsoft.emulatorDefaults()
		return c, nil
	}
	base := strings.TrimRight(c.URL, "/")
	healthy, err := offers(ctx, client, base+"/_sandbox/health", nil)
	if err != nil {
		return c, fmt.Errorf("discovering capabilities: %w", err)
	}
	if healthy {
		if err := checkControlToken(ctx, client, base, c.ControlToken); err != nil {
			return c, err
		}
	}
	discovering := c.Capabilities == nil
	if discovering {
		c.Capabilities = []string{}
		if healthy {
			more, err := optionalCapabilities(ctx, client, base)
			if err != nil {
				return c, fmt.Errorf("discovering capabilities: %w", err)
			}
			c.Capabilities = append(append(c.Capabilities, CapabilityControl), more...)
		}
	}
	if !healthy {
		return c, nil
	}
	microsoft := false
	if c, microsoft, err = discoverMicrosoft(ctx, client, base, c); err != nil {
		return c, fmt.Errorf("discovering Microsoft's fixtures: %w", err)
	}
	if discovering && microsoft {
		// Microsoft's marketplace delivers webhooks where a publisher says
		// and serves Entra's tokens.
		c.Capabilities = append(c.Capabilities, CapabilityWebhooks, CapabilityTokens)
	}
	var fx sandboxFixtures
	if err := getJSON(ctx, client, base+"/_sandbox/gitlab/fixtures", &fx); err != nil {
		return c, fmt.Errorf("discovering fixtures: %w", err)
	}
	found := map[string]Credential{}
	for _, p := range fx.Partners {
		cr := Credential{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Scope: strings.Join(p.Scopes, " "), PartnerID: p.ID}
		if len(p.TradingPartnerIDs) > 0 {
			cr.TradingPartnerID = p.TradingPartnerIDs[0]
		}
		switch {
		case has(p.Scopes, scopeCreate) && found["create"] == (Credential{}):
			found["create"] = cr
		case has(p.Scopes, scopeCreate) && found["second"] == (Credential{}):
			found["second"] = cr
		case !has(p.Scopes, scopeCreate) && has(p.Scopes, scopeRead) && found["readonly"] == (Credential{}):
			found["readonly"] = cr
		}
	}
	creds := map[string]Credential{}
	for k, v := range found {
		creds[k] = v
	}
	for k, v := range c.Credentials {
		creds[k] = v
	}
	c.Credentials = creds
	if c.ProductID == "" && len(fx.Products) > 0 {
		c.ProductID = fx.Products[0].ID
	}
	return c, nil
}

// optionalCapabilities finds the parts of the control API a sandbox
// version offers: an older sandbox answers 404 for them.
func optionalCapabilities(ctx context.Context, client *http.Client, base string) ([]string, error) {
	var out []string
	for _, probe := range []struct {
		path, capability string
	}{{"/_sandbox/clock", CapabilityClock}, {"/_sandbox/faults", CapabilityFaults}, {"/_sandbox/gitlab/scripts", CapabilityScripts}} {
		ok, err := offers(ctx, client, base+probe.path, nil)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, probe.capability)
		}
	}
	var magic struct {
		Enabled *bool `json:"enabled"`
	}
	ok, err := offers(ctx, client, base+"/_sandbox/gitlab/magic", &magic)
	switch {
	case err != nil:
		return nil, err
	case ok && magic.Enabled == nil:
		return nil, fmt.Errorf("GET %s/_sandbox/gitlab/magic: the answer has no boolean \"enabled\"", base)
	case ok && *magic.Enabled:
		out = append(out, CapabilityMagic)
	}
	return out, nil
}

// offers asks whether the target serves u: true on 200 (decoding the
// body into into, when given), false on any other answer below 500, and
// an error on a 5xx, no answer, or a body that does not decode.
func offers(ctx context.Context, client *http.Client, u string, into any) (bool, error) {
	err := getJSON(ctx, client, u, into)
	var se statusError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &se) && se.status < 500:
		return false, nil
	}
	return false, err
}

// statusError is an answer other than 200.
type statusError struct {
	url    string
	status int
}

func (e statusError) Error() string { return fmt.Sprintf("GET %s: status %d", e.url, e.status) }

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func getJSON(ctx context.Context, client *http.Client, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError{url: u, status: resp.StatusCode}
	}
	if into == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON expected: %w", u, err)
	}
	return nil
}

// WaitReady polls the target until it answers, for at most wait: every
// attempt is a Probe with probeTimeout, 100 ms apart. When the target has
// a control API that says it is not ready yet (health 503, as our sandbox
// answers before its clock runs), WaitReady also waits for it. A wait of
// zero probes once. This replaces sleeping before a run in CI scripts.
func WaitReady(ctx context.Context, client *http.Client, rawURL string, wait, probeTimeout time.Duration) error {
	deadline := time.Now().Add(wait)
	health := strings.TrimRight(rawURL, "/") + "/_sandbox/health"
	for {
		err := Probe(ctx, client, rawURL, probeTimeout)
		if err == nil && !starting(ctx, client, health, probeTimeout) {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%w: %s still answers 503", ErrUnreachable, health)
		}
		if !time.Now().Before(deadline) {
			return err
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// starting reports whether a control API exists and says "not ready".
func starting(ctx context.Context, client *http.Client, health string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, health, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusServiceUnavailable
}

// microsoftFixtures is GET /_sandbox/microsoft/fixtures of our sandbox.
type microsoftFixtures struct {
	Publishers []struct {
		ID           string `json:"id"`
		TenantID     string `json:"tenantId"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		WebhookURL   string `json:"webhookUrl"`
	} `json:"publishers"`
	Offers []struct {
		OfferID     string `json:"offerId"`
		PublisherID string `json:"publisherId"`
		Plans       []struct {
			PlanID         string `json:"planId"`
			IsPrivate      bool   `json:"isPrivate"`
			MaxQuantity    int    `json:"maxQuantity"`
			HasFreeTrials  bool   `json:"hasFreeTrials"`
			IsPricePerSeat bool   `json:"isPricePerSeat"`
			IsStopSell     bool   `json:"isStopSell"`
			Components     struct {
				Dimensions []struct {
					ID string `json:"id"`
				} `json:"meteringDimensions"`
			} `json:"planComponents"`
		} `json:"plans"`
	} `json:"offers"`
}

// discoverMicrosoft completes the Microsoft part from our sandbox: the
// first publisher is "publisher", the next "second"; the first offer of
// the publisher gives the plans the scenarios buy (the first public
// per-seat plan, the first two flat-rate ones without trial or metering,
// the first metered one and its first dimension, the first with a free
// trial), and GET /_sandbox the profile it serves. A sandbox without
// Microsoft's API (an older one: 404) leaves c as it is, and says so.
// Values already in c are kept.
func discoverMicrosoft(ctx context.Context, client *http.Client, base string, c Config) (Config, bool, error) {
	var fx microsoftFixtures
	ok, err := offers(ctx, client, base+"/_sandbox/microsoft/fixtures", &fx)
	if err != nil || !ok {
		return c, false, err
	}
	var about struct {
		Marketplaces map[string]struct {
			Profile string `json:"profile"`
		} `json:"marketplaces"`
	}
	if err := getJSON(ctx, client, base+"/_sandbox", &about); err != nil {
		return c, false, err
	}
	c.Profile = about.Marketplaces["microsoft"].Profile
	m := &c.Microsoft
	if m.Publishers == nil {
		m.Publishers = map[string]Publisher{}
	}
	for i, name := range []string{"publisher", "second"} {
		if _, given := m.Publishers[name]; given || i >= len(fx.Publishers) {
			continue
		}
		p := fx.Publishers[i]
		m.Publishers[name] = Publisher{TenantID: p.TenantID, ClientID: p.ClientID, ClientSecret: p.ClientSecret, PublisherID: p.ID, WebhookURL: p.WebhookURL}
	}
	pub := m.Publishers["publisher"].PublisherID
	for _, o := range fx.Offers {
		if o.PublisherID != pub || pub == "" {
			continue
		}
		found := map[string]string{"offerId": o.OfferID}
		var flats []string
		for _, p := range o.Plans {
			if p.IsStopSell {
				continue
			}
			switch {
			case len(p.Components.Dimensions) > 0:
				setOnce(found, "meteredPlan", p.PlanID)
				setOnce(found, "dimension", p.Components.Dimensions[0].ID)
			case p.HasFreeTrials:
				setOnce(found, "trialPlan", p.PlanID)
			case p.IsPricePerSeat && !p.IsPrivate && p.MaxQuantity > 0:
				if setOnce(found, "perSeatPlan", p.PlanID) {
					found["perSeatMax"] = strconv.Itoa(p.MaxQuantity)
				}
			case !p.IsPricePerSeat && !p.IsPrivate:
				flats = append(flats, p.PlanID)
			}
		}
		if len(flats) > 0 {
			found["flatPlan"] = flats[0]
		}
		if len(flats) > 1 {
			found["otherFlatPlan"] = flats[1]
		}
		m.fill(found)
		break
	}
	return c, true, nil
}

// setOnce sets m[k] unless it has a value, and says whether it did.
func setOnce(m map[string]string, k, v string) bool {
	if m[k] != "" {
		return false
	}
	m[k] = v
	return true
}

// fill sets the catalogue's fields that are still empty.
func (m *MicrosoftConfig) fill(found map[string]string) {
	for _, f := range []struct {
		dst *string
		key string
	}{{&m.OfferID, "offerId"}, {&m.PerSeatPlan, "perSeatPlan"}, {&m.FlatPlan, "flatPlan"}, {&m.OtherFlatPlan, "otherFlatPlan"},
		{&m.MeteredPlan, "meteredPlan"}, {&m.Dimension, "dimension"}, {&m.TrialPlan, "trialPlan"}} {
		if *f.dst == "" {
			*f.dst = found[f.key]
		}
	}
	if n, err := strconv.Atoi(found["perSeatMax"]); m.PerSeatMax == 0 && err == nil {
		m.PerSeatMax = n
	}
}

// emulatorDefaults fills what the emulator does not hold: two publishers'
// apps (it reads the publisher from any token's tid and appid, and checks
// no secret) and the catalogue the adapter installs as an offer.
func (m *MicrosoftConfig) emulatorDefaults() {
	if m.Publishers == nil {
		m.Publishers = map[string]Publisher{}
	}
	for name, p := range map[string]Publisher{
		"publisher": {TenantID: "0c0f0e0e-0000-4000-8000-00000000c0f0", ClientID: "0c0f0e0e-0000-4000-8000-0000000a9901", ClientSecret: "unused-by-the-emulator"},
		"second":    {TenantID: "0c0f0e0e-0000-4000-8000-00000000c0f1", ClientID: "0c0f0e0e-0000-4000-8000-0000000a9902", ClientSecret: "unused-by-the-emulator"},
	} {
		if _, given := m.Publishers[name]; !given {
			m.Publishers[name] = p
		}
	}
	for name, p := range m.Publishers {
		if p.PublisherID == "" {
			p.PublisherID = p.TenantID + p.ClientID // the emulator's publisher: its token's tid and appid
			m.Publishers[name] = p
		}
	}
	m.fill(map[string]string{"offerId": "conformance-offer", "perSeatPlan": "seats", "perSeatMax": "100", "flatPlan": "flat",
		"otherFlatPlan": "flat-plus", "trialPlan": "trial", "meteredPlan": "metered", "dimension": "api-calls"})
}

// checkControlToken asks GET /_sandbox once: a sandbox whose control API
// needs a token answers 401 with a Bearer challenge when the run has none
// or the wrong one. Without this every control route would look absent,
// and the run would skip the scenarios that need them instead of saying
// why.
func checkControlToken(ctx context.Context, client *http.Client, base, token string) error {
	err := getJSON(ctx, client, base+"/_sandbox", nil)
	var se statusError
	if !errors.As(err, &se) || se.status != http.StatusUnauthorized {
		return nil // any other answer is discovery's to judge
	}
	if token == "" {
		return fmt.Errorf("%w: the sandbox at %s guards its control API with a token (GET /_sandbox answered 401): give it with --control-token, CONFORMANCE_CONTROL_TOKEN or controlToken in --config", ErrControlToken, base)
	}
	return fmt.Errorf("%w: the sandbox at %s refused the control token given (GET /_sandbox answered 401): it is not the sandbox's control_token", ErrControlToken, base)
}
