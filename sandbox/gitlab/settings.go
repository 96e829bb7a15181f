package gitlab

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
)

// Settings are the portal's behaviours that no public source pins down, or
// that a partner may want to change to match what it learned of the real
// portal. Each one is documented in the README's configuration table.
type Settings struct {
	// TokenProfile chooses the token endpoint's dialect.
	TokenProfile string `yaml:"token_profile" usage:"token endpoint dialect: doorkeeper (what the portal runs) or strict (RFC 6749 to the letter)"`
	// TokenLifetime is expires_in of new tokens, on the clock TokenClock names.
	TokenLifetime time.Duration `yaml:"token_lifetime" usage:"lifetime of access tokens, on the clock gitlab.token_clock names"`
	// TokenKeepExpired and MaxTokens bound the token store (Doorkeeper
	// keeps its rows for ever; a sandbox that runs for weeks cannot).
	TokenKeepExpired time.Duration `yaml:"token_keep_expired" usage:"how long an expired or revoked token stays known (a client sending it is told it expired) before it is forgotten and answered as unknown, on the token clock"`
	MaxTokens        int           `yaml:"max_tokens" usage:"most tokens kept, live or not; past it the oldest is forgotten (a client fetching a token per call cannot grow the sandbox without end)"`
	// TokenClock is the clock token lifetimes run on. A stock OAuth client
	// (golang.org/x/oauth2 and most others) decides by the wall clock when
	// to fetch a new token, so after a clock advance past the lifetime it
	// keeps sending a token the sandbox calls expired; "wall" keeps tokens
	// on the wall clock while subscriptions, callouts and faults follow the
	// sandbox clock.
	TokenClock string `yaml:"token_clock" usage:"clock token lifetimes run on: sandbox (expire when the sandbox clock is advanced past them) or wall (expire by real time, as the OAuth client caching them expects)"`
	// StatusScopes says which scopes may read a subscription's status.
	StatusScopes string `yaml:"status_scopes" usage:"scopes that may read status: any (read or create) or read (read only)"`
	// Duplicates is the policy for a second create with a used externalSubscriptionId.
	Duplicates string `yaml:"duplicates" usage:"repeat of an externalSubscriptionId: replay (identical body replays the first answer, different body 409) or reject (always 409)"`
	// MaxBodyBytes bounds request bodies; larger ones are answered 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes" usage:"largest request body accepted, in bytes"`
	// MagicValues lets an order force a back-office outcome by itself
	// (see magic.go), the way payment sandboxes have test card numbers.
	MagicValues bool `yaml:"magic_values" usage:"orders whose externalSubscriptionId or contact email carry a documented sandbox-… value force that back-office outcome (see README, Magic values)"`

	// Scripts are the back-office scripts in force at start and restored by
	// a reset; being a list of structures, they can only be set in the
	// YAML file (same fields as POST /_sandbox/gitlab/scripts).
	Scripts []script.Script `yaml:"scripts" settings:"file-only"`

	Zuora        ZuoraSettings        `yaml:"zuora"`
	Salesforce   SalesforceSettings   `yaml:"salesforce"`
	Provisioning ProvisioningSettings `yaml:"provisioning"`
	License      LicenseSettings      `yaml:"license"`
}

// ZuoraSettings shape the fake Zuora and its callouts.
type ZuoraSettings struct {
	Latency              time.Duration `yaml:"latency" usage:"how long Zuora takes to create a subscription (0: within the create request; more: the order shows Creating until then)"`
	CalloutDelay         time.Duration `yaml:"callout_delay" usage:"time from Zuora's answer to its callout"`
	CalloutAttempts      int           `yaml:"callout_attempts" usage:"delivery attempts per callout (Zuora: 3 by default, at most 5)"`
	CalloutRetryInterval time.Duration `yaml:"callout_retry_interval" usage:"time between callout attempts (Zuora: 30m by default)"`
	CalloutAuth          string        `yaml:"callout_auth" usage:"challenge (first attempt without credentials, as Zuora does) or preemptive"`
	CalloutUsername      string        `yaml:"callout_username" usage:"Basic auth user the portal expects on callouts"`
	CalloutPassword      string        `yaml:"callout_password" usage:"Basic auth password the portal expects on callouts"`
	CalloutURL           string        `yaml:"callout_url" usage:"where Zuora posts callouts (default: the sandbox's own /zuora/callouts)"`
	CalloutTimeout       time.Duration `yaml:"callout_timeout" usage:"real-time limit on one callout HTTP request"`
	CalloutMode          string        `yaml:"callout_mode" usage:"auto (Zuora sends callouts by itself) or manual (every callout waits until fired through POST /_sandbox/gitlab/callouts/{id}/fire)"`
	Timeout              time.Duration `yaml:"timeout" usage:"how long the portal waits for Zuora to create a subscription before failing the order (only a scripted Zuora timeout takes this long)"`
	MaxDeliveries        int           `yaml:"max_deliveries" usage:"most callout deliveries GET /_sandbox/gitlab/callouts keeps, the newest (each order's timeline keeps its own)"`
}

// SalesforceSettings shape the fake Salesforce.
type SalesforceSettings struct {
	Latency time.Duration `yaml:"latency" usage:"how long Salesforce takes to create the order's objects"`
}

// ProvisioningSettings shape the portal's background worker.
type ProvisioningSettings struct {
	Delay time.Duration `yaml:"delay" usage:"time from an accepted callout to the license being built and sent"`
}

// LicenseSettings shape the license notification.
type LicenseSettings struct {
	From     string `yaml:"from" usage:"sender of license emails"`
	SMTPAddr string `yaml:"smtp_addr" usage:"host:port of an SMTP server to hand license emails to as well (empty: outbox only)"`
	// MaxMessages bounds the outbox as journal.max_entries bounds the
	// journal: a long-lived sandbox sends an email per order for weeks.
	MaxMessages int `yaml:"max_messages" usage:"most license emails GET /_sandbox/gitlab/outbox keeps, the newest (each order keeps its activation code and a note of its email)"`
}

// DefaultSettings are the settings the sandbox starts with.
func DefaultSettings() Settings {
	return Settings{
		TokenProfile:     ProfileDoorkeeper,
		TokenLifetime:    7200 * time.Second,
		TokenKeepExpired: time.Hour,
		MaxTokens:        100000,
		TokenClock:       TokenClockSandbox,
		StatusScopes:     "any",
		Duplicates:       "replay",
		MaxBodyBytes:     1 << 20,
		MagicValues:      true,
		Zuora: ZuoraSettings{
			CalloutDelay:         2 * time.Second,
			CalloutAttempts:      3,
			CalloutRetryInterval: 30 * time.Minute,
			CalloutAuth:          "challenge",
			CalloutUsername:      "zuora",
			CalloutPassword:      "zuora-callout-secret",
			CalloutTimeout:       10 * time.Second,
			CalloutMode:          "auto",
			MaxDeliveries:        10000,
			Timeout:              60 * time.Second,
		},
		License: LicenseSettings{From: "GitLab <noreply@gitlab.example>", MaxMessages: 10000},
	}
}

// Token endpoint profiles.
const (
	ProfileDoorkeeper = "doorkeeper"
	ProfileStrict     = "strict"
)

// Clocks token lifetimes may run on (gitlab.token_clock).
const (
	TokenClockSandbox = "sandbox"
	TokenClockWall    = "wall"
)

// Validate reports every setting out of range at once.
func (s Settings) Validate() error {
	var errs []error
	oneOf := func(name, value string, allowed ...string) {
		for _, a := range allowed {
			if value == a {
				return
			}
		}
		errs = append(errs, fmt.Errorf("gitlab.%s: %q is not one of %v", name, value, allowed))
	}
	nonNegative := func(name string, d time.Duration) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("gitlab.%s: must not be negative", name))
		}
	}
	oneOf("token_profile", s.TokenProfile, ProfileDoorkeeper, ProfileStrict)
	oneOf("token_clock", s.TokenClock, TokenClockSandbox, TokenClockWall)
	oneOf("status_scopes", s.StatusScopes, "any", "read")
	oneOf("duplicates", s.Duplicates, "replay", "reject")
	oneOf("zuora.callout_auth", s.Zuora.CalloutAuth, "challenge", "preemptive")
	oneOf("zuora.callout_mode", s.Zuora.CalloutMode, "auto", "manual")
	if s.Zuora.Timeout <= 0 {
		errs = append(errs, errors.New("gitlab.zuora.timeout: must be positive"))
	}
	nonNegative("token_keep_expired", s.TokenKeepExpired)
	if s.MaxTokens < 100 || s.MaxTokens > 10000000 {
		errs = append(errs, errors.New("gitlab.max_tokens: must be 100 to 10000000"))
	}
	if s.TokenLifetime < time.Second {
		errs = append(errs, errors.New("gitlab.token_lifetime: must be at least 1s"))
	}
	if s.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("gitlab.max_body_bytes: must be at least 1024"))
	}
	if s.Zuora.CalloutAttempts < 1 || s.Zuora.CalloutAttempts > 5 {
		errs = append(errs, errors.New("gitlab.zuora.callout_attempts: must be 1 to 5 (Zuora's limit)"))
	}
	if s.License.MaxMessages < 1 || s.License.MaxMessages > 1000000 {
		errs = append(errs, errors.New("gitlab.license.max_messages: must be 1 to 1000000"))
	}
	if s.Zuora.MaxDeliveries < 1 || s.Zuora.MaxDeliveries > 1000000 {
		errs = append(errs, errors.New("gitlab.zuora.max_deliveries: must be 1 to 1000000"))
	}
	if s.Zuora.CalloutTimeout <= 0 {
		errs = append(errs, errors.New("gitlab.zuora.callout_timeout: must be positive"))
	}
	nonNegative("zuora.latency", s.Zuora.Latency)
	nonNegative("zuora.callout_delay", s.Zuora.CalloutDelay)
	nonNegative("zuora.callout_retry_interval", s.Zuora.CalloutRetryInterval)
	nonNegative("salesforce.latency", s.Salesforce.Latency)
	nonNegative("provisioning.delay", s.Provisioning.Delay)
	errs = append(errs, s.scriptErrors(func(string) bool { return true })...)
	return errors.Join(errs...)
}

// scriptErrors checks the configuration file's scripts as the control API
// would, naming each problem by its place in the list; knownPartner is
// applied once the fixtures are known.
func (s Settings) scriptErrors(knownPartner func(string) bool) []error {
	var errs []error
	ids := map[string]bool{}
	for i, sc := range s.Scripts {
		for _, e := range script.Validate(sc, knownPartner) {
			errs = append(errs, fmt.Errorf("gitlab.scripts[%d].%s: %s", i, e.Field, e.Message))
		}
		if sc.ID != "" && ids[sc.ID] {
			errs = append(errs, fmt.Errorf("gitlab.scripts[%d].id: %q is used twice", i, sc.ID))
		}
		ids[sc.ID] = true
	}
	return errs
}

// configScripts are the configuration file's scripts with ids: the ones
// without are called config-1, config-2… by their place in the list.
func (s Settings) configScripts() []script.Script {
	out := make([]script.Script, len(s.Scripts))
	for i, sc := range s.Scripts {
		if sc.ID == "" {
			sc.ID = fmt.Sprintf("config-%d", i+1)
		}
		out[i] = sc
	}
	return out
}
