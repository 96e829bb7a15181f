package microsoft

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
)

// Settings are the behaviours of the fake commercial marketplace that no
// public source pins down, or that a publisher may want to change to match
// what it learned of the live service. They live under microsoft: in the
// configuration file; each one is in the README's configuration table.
type Settings struct {
	// Profile chooses between what Microsoft documents and what the live
	// service was seen to do (profile.go lists every deviation).
	Profile string `yaml:"profile" usage:"fulfillment API dialect: docs (what Microsoft's pages say) or observed (the live service's known deviations, see README)"`
	// OperationDelay is how long a publisher's PATCH or DELETE stays
	// InProgress before it completes; a second one meanwhile is refused.
	OperationDelay time.Duration `yaml:"operation_delay" usage:"time a publisher-initiated change plan / quantity / unsubscribe stays InProgress, on the sandbox clock"`
	// AckWindow is how long a customer's change of plan or quantity waits
	// for the publisher's answer before Microsoft applies it (docs/microsoft.md §6).
	AckWindow time.Duration `yaml:"ack_window" usage:"time the publisher has to PATCH a customer-initiated operation Success / Failure (or answer its webhook 4xx) before it is accepted"`
	// PurchaseTokenLifetime is how long a landing-page token resolves
	// (docs/microsoft.md §4: usually 24 hours; the OpenAPI file says one).
	PurchaseTokenLifetime time.Duration `yaml:"purchase_token_lifetime" usage:"how long the marketplace token of a purchase resolves"`
	// SuspendedGrace is how long a subscription stays Suspended before
	// Microsoft unsubscribes it (docs/microsoft.md §5: 30 days).
	SuspendedGrace time.Duration `yaml:"suspended_grace" usage:"time from Suspend to the automatic Unsubscribe"`
	// FreeTrialMonths is the length of a free trial in calendar months
	// from activation; Microsoft's SaaS trials last one month.
	FreeTrialMonths int `yaml:"free_trial_months" usage:"length of a free trial, in calendar months from activation"`
	// PageSize is how many subscriptions one page of the list holds
	// (Microsoft: 100).
	PageSize int `yaml:"page_size" usage:"subscriptions per page of GET /api/saas/subscriptions (Microsoft: 100)"`
	// MaxBodyBytes bounds request bodies; larger ones are answered 400.
	MaxBodyBytes int64 `yaml:"max_body_bytes" usage:"largest request body accepted, in bytes"`
	// MaxUsageEvents bounds the metering service's memory: the accepted
	// events it keeps to find duplicates and report usage.
	MaxUsageEvents int `yaml:"max_usage_events" usage:"most accepted usage events the metering service keeps (duplicate detection, GET /api/usageEvents); the oldest are dropped first"`

	Webhook WebhookSettings `yaml:"webhook"`
	// Entra shapes the Entra-like token service publishers get their
	// tokens from (package entra, docs/microsoft.md §2).
	Entra entra.Settings `yaml:"entra"`
}

// WebhookSettings shape the deliveries to the publishers' webhook URLs.
type WebhookSettings struct {
	// Attempts and RetryInterval: Microsoft retries a failed delivery 500
	// times over 8 hours (docs/microsoft.md §6), about one a minute.
	Attempts      int           `yaml:"attempts" usage:"delivery attempts per webhook (Microsoft: 500 over 8 hours)"`
	RetryInterval time.Duration `yaml:"retry_interval" usage:"time between delivery attempts, on the sandbox clock (default: 8h / 500)"`
	Timeout       time.Duration `yaml:"timeout" usage:"real-time limit on one webhook HTTP request"`
	// Mode manual holds every webhook until it is fired or dropped
	// through the control API, to test a publisher's handling of late,
	// missing or out-of-order webhooks.
	Mode string `yaml:"mode" usage:"auto (webhooks are sent as they happen) or manual (each waits until POST /_sandbox/microsoft/webhooks/{id}/fire or /drop)"`
	// MaxDeliveries bounds the delivery log of GET
	// /_sandbox/microsoft/webhooks, and the sample receiver's log.
	MaxDeliveries int `yaml:"max_deliveries" usage:"most webhook delivery attempts GET /_sandbox/microsoft/webhooks keeps, and most deliveries the sample receiver keeps; the oldest are dropped first"`
}

// Profiles of the fulfillment API (microsoft.profile).
const (
	ProfileDocs     = "docs"
	ProfileObserved = "observed"
)

// Webhook modes (microsoft.webhook.mode).
const (
	WebhookAuto   = "auto"
	WebhookManual = "manual"
)

// DefaultSettings are the settings the sandbox starts with.
func DefaultSettings() Settings {
	return Settings{
		Entra:                 entra.DefaultSettings(),
		Profile:               ProfileDocs,
		OperationDelay:        10 * time.Second,
		AckWindow:             10 * time.Second,
		PurchaseTokenLifetime: 24 * time.Hour,
		SuspendedGrace:        30 * 24 * time.Hour,
		FreeTrialMonths:       1,
		PageSize:              100,
		MaxBodyBytes:          1 << 20,
		MaxUsageEvents:        10_000,
		Webhook: WebhookSettings{
			Attempts:      500,
			RetryInterval: 8 * time.Hour / 500,
			Timeout:       10 * time.Second,
			Mode:          WebhookAuto,
			MaxDeliveries: 10_000,
		},
	}
}

// Validate reports every setting out of range at once.
func (s Settings) Validate() error {
	var errs []error
	if s.Profile != ProfileDocs && s.Profile != ProfileObserved {
		errs = append(errs, fmt.Errorf("microsoft.profile: %q is not one of [%s %s]", s.Profile, ProfileDocs, ProfileObserved))
	}
	if s.Webhook.Mode != WebhookAuto && s.Webhook.Mode != WebhookManual {
		errs = append(errs, fmt.Errorf("microsoft.webhook.mode: %q is not one of [%s %s]", s.Webhook.Mode, WebhookAuto, WebhookManual))
	}
	for _, d := range []struct {
		name     string
		value    time.Duration
		min, max time.Duration
	}{
		{"operation_delay", s.OperationDelay, 0, 24 * time.Hour},
		{"ack_window", s.AckWindow, 0, 24 * time.Hour},
		{"purchase_token_lifetime", s.PurchaseTokenLifetime, time.Second, 30 * 24 * time.Hour},
		{"suspended_grace", s.SuspendedGrace, time.Second, 366 * 24 * time.Hour},
		{"webhook.retry_interval", s.Webhook.RetryInterval, 0, 24 * time.Hour},
		{"webhook.timeout", s.Webhook.Timeout, 100 * time.Millisecond, 5 * time.Minute},
	} {
		if d.value < d.min || d.value > d.max {
			errs = append(errs, fmt.Errorf("microsoft.%s: %s is outside %s to %s", d.name, d.value, d.min, d.max))
		}
	}
	for _, n := range []struct {
		name     string
		value    int64
		min, max int64
	}{
		{"free_trial_months", int64(s.FreeTrialMonths), 1, 12},
		{"page_size", int64(s.PageSize), 1, 1000},
		{"max_body_bytes", s.MaxBodyBytes, 1024, 64 << 20},
		{"webhook.attempts", int64(s.Webhook.Attempts), 1, 1000},
		{"webhook.max_deliveries", int64(s.Webhook.MaxDeliveries), 1, 1_000_000},
		{"max_usage_events", int64(s.MaxUsageEvents), 1, 1_000_000},
	} {
		if n.value < n.min || n.value > n.max {
			errs = append(errs, fmt.Errorf("microsoft.%s: %d is outside %d to %d", n.name, n.value, n.min, n.max))
		}
	}
	if err := s.Entra.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
