// Package entra is the sandbox's imitation of Microsoft Entra ID (formerly
// Azure AD) as a publisher of the commercial marketplace meets it: the v1
// and v2 token endpoints of the client-credentials grant, the OpenID
// discovery documents and key sets that let anyone verify the tokens
// offline, Entra's error envelope, and the two uses the fulfillment API
// makes of tokens: authenticating a publisher's call (Authenticate) and
// signing each webhook sent to a publisher (SignWebhook). See
// docs/microsoft.md §2.
//
// Tokens are RS256 JWTs signed with the sandbox's own key. Access tokens
// are timed on the sandbox clock by default, so advancing it expires
// them; webhook JWTs on the wall clock, which the publisher's verifier
// reads (entra.token_clock, entra.webhook_token_clock).
package entra

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// FulfillmentResource is the app id of Microsoft's SaaS Fulfillment API:
// the resource (v1) or scope prefix (v2) a publisher asks a token for,
// the aud of those tokens, and the appid / azp of the webhook JWTs
// Microsoft sends (docs/microsoft.md §2, §6).
const FulfillmentResource = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"

// Issuer is the sandbox's Entra ID. The zero value is not usable; build
// one with New. It is safe for concurrent use.
type Issuer struct {
	settings Settings
	clock    *clock.Clock
	wall     func() time.Time
	// accessNow and webhookNow time access tokens and webhook JWTs, on
	// the clocks entra.token_clock and entra.webhook_token_clock name.
	accessNow, webhookNow func() time.Time
	logger                *slog.Logger
	baseURL               string
	key                   *signingKey
	signer                jose.Signer
	apps                  registry
	issued                issuedSignatures
	// verifiedTokens caches the claims of tokens whose signature checked.
	verifiedTokens recent[verifiedToken]
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithBaseURL is the sandbox's own base URL (scheme and host, no trailing
// slash), for what is made without a request at hand: the iss of webhook
// JWTs. Handlers use the base URL of each request instead.
func WithBaseURL(url string) Option {
	return func(i *Issuer) { i.baseURL = strings.TrimRight(url, "/") }
}

// WithWallClock replaces the wall clock of entra.token_clock and
// entra.webhook_token_clock "wall" (default: time.Now); tests inject
// their own.
func WithWallClock(now func() time.Time) Option {
	return func(i *Issuer) { i.wall = now }
}

// WithLogger sets where unexpected errors are logged (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(i *Issuer) { i.logger = l }
}

// New builds an issuer for apps. Its signing key comes from
// settings.SigningKeyFile (a bad file is an error naming the setting), or
// is the process's own key.
func New(settings Settings, clk *clock.Clock, apps []App, opts ...Option) (*Issuer, error) {
	if err := settings.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		return nil, errors.New("entra: a clock is required")
	}
	key, err := loadSigningKey(settings.SigningKeyFile)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.private, KeyID: key.kid}},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("x5t", key.x5t),
	)
	if err != nil {
		return nil, fmt.Errorf("entra: signer: %w", err)
	}
	i := &Issuer{
		settings: settings,
		clock:    clk,
		wall:     time.Now,
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		baseURL:  "http://localhost",
		key:      key,
		signer:   signer,
	}
	for _, opt := range opts {
		opt(i)
	}
	i.accessNow, i.webhookNow = i.clockNamed(settings.TokenClock), i.clockNamed(settings.WebhookTokenClock)
	i.apps.set(apps)
	return i, nil
}

// clockNamed is the time source a clock setting names.
func (i *Issuer) clockNamed(name string) func() time.Time {
	if name == ClockWall {
		wall := i.wall
		return func() time.Time { return wall().UTC() }
	}
	return i.clock.Now
}

// KeyID is the kid of the signing key: the RFC 7638 thumbprint of its
// public part, stable for a pinned key.
func (i *Issuer) KeyID() string { return i.key.kid }

// requestBase is the sandbox's base URL as the client reached it: https
// when the connection is TLS, and the Host it asked for.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// The issuers of the two endpoint generations. Entra's v1 issuer is
// https://sts.windows.net/{tid}/ (trailing slash included), its v2 one
// https://login.microsoftonline.com/{tid}/v2.0; the sandbox keeps both
// shapes on its own base URL, so that each token's iss equals the issuer
// of the discovery document of the endpoint that issued it.
func issuerV1(base, tenantID string) string { return base + "/" + tenantID + "/" }
func issuerV2(base, tenantID string) string { return base + "/" + tenantID + "/v2.0" }
