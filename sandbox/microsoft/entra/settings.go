package entra

import (
	"errors"
	"fmt"
	"time"
)

// Settings shape the Entra-like issuer. They live under microsoft.entra in
// the configuration file; each one is in the README's configuration table.
type Settings struct {
	// TokenLifetime is how long an access token is valid, on the clock
	// TokenClock names. Entra's default for app tokens is one hour; token lifetime
	// policies allow 10 minutes to 1 day, the bounds Validate applies.
	TokenLifetime time.Duration `yaml:"token_lifetime" usage:"lifetime of access tokens, on the clock microsoft.entra.token_clock names (Entra: 1h; 10m to 24h)"`
	// WebhookTokenLifetime is how long the JWT of one webhook delivery is
	// valid: long enough for retries of the same request, short enough
	// that a leaked one is worthless.
	WebhookTokenLifetime time.Duration `yaml:"webhook_token_lifetime" usage:"lifetime of the JWT signing one webhook delivery, on the clock microsoft.entra.webhook_token_clock names (1m to 24h)"`
	// TokenClock is the clock access tokens are timed on. A stock Entra
	// client (MSAL, azidentity) caches a token by the wall clock and asks
	// for a new one only when the wall clock reaches its expiry, so after a
	// clock advance past the lifetime it keeps sending a token the sandbox
	// calls expired; "wall" keeps access tokens on real time while
	// subscriptions and webhooks follow the sandbox clock.
	TokenClock string `yaml:"token_clock" usage:"clock access tokens are timed on: sandbox (they expire when the sandbox clock is advanced past them) or wall (real time, as the client caching them expects)"`
	// WebhookTokenClock is the clock webhook JWTs are timed on. The
	// publisher's receiver checks exp and nbf by its own wall clock (a
	// stock OIDC verifier refuses a token whose nbf is in its future), so
	// the default is wall: a JWT signed after the sandbox clock moved a
	// month ahead still verifies.
	WebhookTokenClock string `yaml:"webhook_token_clock" usage:"clock webhook JWTs are timed on: wall (what the publisher's verifier reads) or sandbox"`
	// SigningKeyFile names a PEM file holding the RSA key (PKCS#1 or
	// PKCS#8, at least 2048 bits) that signs every token, so that tokens
	// and cached key sets stay valid across restarts. Empty: one fresh key
	// per process.
	SigningKeyFile string `yaml:"signing_key_file" usage:"PEM file with the RSA signing key (PKCS#1 or PKCS#8, >= 2048 bits) that pins token signatures across restarts; empty: a fresh key per process"`
	// ClockSkew is the tolerance Authenticate allows on exp and nbf. The
	// issuer and the fulfillment API read the same clock, so none is
	// needed; 5m imitates the default of Microsoft.IdentityModel, which
	// ASP.NET services validate Entra tokens with.
	ClockSkew time.Duration `yaml:"clock_skew" usage:"tolerance on a token's exp and nbf when the fulfillment API checks it (0 to 10m; ASP.NET's default is 5m)"`
	// MaxBodyBytes bounds a token request's body; larger ones are 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes" usage:"largest token request body accepted, in bytes (1 KiB to 1 MiB)"`
}

// DefaultSettings are the settings the sandbox starts with.
func DefaultSettings() Settings {
	return Settings{
		TokenLifetime:        time.Hour,
		WebhookTokenLifetime: 10 * time.Minute,
		TokenClock:           ClockSandbox,
		WebhookTokenClock:    ClockWall,
		MaxBodyBytes:         64 << 10,
	}
}

// The clocks tokens may be timed on (token_clock, webhook_token_clock).
const (
	ClockSandbox = "sandbox"
	ClockWall    = "wall"
)

// Validate reports every setting out of range at once, each named by its
// configuration path.
func (s Settings) Validate() error {
	var errs []error
	between := func(name string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			errs = append(errs, fmt.Errorf("microsoft.entra.%s: %s is outside %s to %s", name, d, lo, hi))
		}
	}
	between("token_lifetime", s.TokenLifetime, 10*time.Minute, 24*time.Hour)
	between("webhook_token_lifetime", s.WebhookTokenLifetime, time.Minute, 24*time.Hour)
	between("clock_skew", s.ClockSkew, 0, 10*time.Minute)
	for name, v := range map[string]string{"token_clock": s.TokenClock, "webhook_token_clock": s.WebhookTokenClock} {
		if v != ClockSandbox && v != ClockWall {
			errs = append(errs, fmt.Errorf("microsoft.entra.%s: %q is not one of [sandbox wall]", name, v))
		}
	}
	if s.MaxBodyBytes < 1<<10 || s.MaxBodyBytes > 1<<20 {
		errs = append(errs, errors.New("microsoft.entra.max_body_bytes: must be 1024 to 1048576"))
	}
	return errors.Join(errs...)
}
