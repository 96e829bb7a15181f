package entra

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Principal is who a verified access token speaks for: the publisher's
// app in the publisher's tenant (docs/microsoft.md §2).
type Principal struct {
	TenantID    string
	AppID       string
	PublisherID string
}

// Why Authenticate or VerifyWebhook refused a token. Each error they
// return wraps one of these, with details, for the journal and the logs;
// the fulfillment API answers every one of them 403.
var (
	ErrNoToken      = errors.New("no bearer token")
	ErrMalformed    = errors.New("malformed token")
	ErrAlgorithm    = errors.New("signing algorithm not accepted")
	ErrSignature    = errors.New("signature does not verify")
	ErrIssuer       = errors.New("wrong issuer")
	ErrAudience     = errors.New("wrong audience")
	ErrExpired      = errors.New("token expired")
	ErrNotYetValid  = errors.New("token not yet valid")
	ErrUnknownApp   = errors.New("app not registered")
	ErrWrongTenant  = errors.New("wrong tenant")
	ErrWrongCaller  = errors.New("token not from the fulfillment API")
	errNoTokenParts = errors.New("not a JWS compact token")
)

// tokenClaims are the claims Authenticate reads. aud may be a string or
// a list in a JWT; jwt.Audience reads both.
type tokenClaims struct {
	Aud   jwt.Audience `json:"aud"`
	Iss   string       `json:"iss"`
	Nbf   *int64       `json:"nbf"`
	Exp   *int64       `json:"exp"`
	AppID string       `json:"appid"`
	Azp   string       `json:"azp"`
	Tid   string       `json:"tid"`
	Ver   string       `json:"ver"`
}

// client is the app a token names: appid (v1) or azp (v2), whichever is
// present.
func (c tokenClaims) client() string {
	if c.AppID != "" {
		return c.AppID
	}
	return c.Azp
}

// Authenticate checks the bearer token of a fulfillment API call: an
// RS256 JWT signed with the sandbox's key, aud the fulfillment API (as a
// v1 or v2 token carries it), iss of the v1 or v2 shape for its tid (the
// host is not compared: the sandbox answers under several names), exp and
// nbf on the clock of entra.token_clock with entra.clock_skew, and tid +
// appid / azp of
// a registered app.
func (i *Issuer) Authenticate(r *http.Request) (Principal, error) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "bearer") || token == "" {
		return Principal{}, ErrNoToken
	}
	v, err := i.verified(token, i.accessNow)
	if err != nil {
		return Principal{}, err
	}
	// The audience and the issuer's shape were checked once, with the
	// signature; times, the app and its tenant are checked on every call.
	if v.forFulfillment != nil {
		return Principal{}, v.forFulfillment
	}
	c := v.claims
	app, ok := i.apps.app(c.client())
	if !ok || c.client() == "" {
		return Principal{}, fmt.Errorf("%w: %q", ErrUnknownApp, c.client())
	}
	if normalizeID(c.Tid) != app.TenantID {
		return Principal{}, fmt.Errorf("%w: app %s is registered in tenant %s, the token is for %q", ErrUnknownApp, app.ClientID, app.TenantID, c.Tid)
	}
	return Principal{TenantID: app.TenantID, AppID: app.ClientID, PublisherID: app.PublisherID}, nil
}

// VerifyWebhook checks the JWT of a webhook delivery as a careful
// publisher would (the sandbox's sample receiver uses it): signed by the
// sandbox, iss the v2 issuer of tenantID, tid tenantID, aud audience (the
// publisher's app id), appid / azp the fulfillment API, and in date on the
// clock of entra.webhook_token_clock.
func (i *Issuer) VerifyWebhook(token, tenantID, audience string) error {
	v, err := i.verified(strings.TrimSpace(token), i.webhookNow)
	if err != nil {
		return err
	}
	c := v.claims
	if !audienceIs(c.Aud, audience) {
		return fmt.Errorf("%w: aud %v, want %s", ErrAudience, []string(c.Aud), audience)
	}
	if normalizeID(c.Tid) != normalizeID(tenantID) {
		return fmt.Errorf("%w: tid %q, want %s", ErrWrongTenant, c.Tid, tenantID)
	}
	if want := issuerV2(i.baseURL, normalizeID(tenantID)); c.Iss != want {
		return fmt.Errorf("%w: iss %q, want %s", ErrIssuer, c.Iss, want)
	}
	if normalizeID(c.client()) != FulfillmentResource {
		return fmt.Errorf("%w: appid/azp %q", ErrWrongCaller, c.client())
	}
	return nil
}

// maxVerified bounds the cache of verified tokens, kept whole (about
// 1.5 KB each with their claims, so 1.5 MB at the most). Only tokens the
// sandbox signed get in, each costing a token request; a client with
// more live tokens than this pays an RS256 check for the oldest again.
const maxVerified = 1024

// verified returns token, its claims and its audience checked, once its
// algorithm and signature are, and checks its times on clockNow. Verifying an
// RS256 signature costs about 100 µs, more than the rest of a fulfillment
// call, so tokens already verified are remembered by their SHA-256; the
// times, audience, issuer and app are checked again on every call.
func (i *Issuer) verified(token string, clockNow func() time.Time) (verifiedToken, error) {
	v, err := i.verifiedEntry(token)
	if err != nil {
		return verifiedToken{}, err
	}
	c := v.claims
	if c.Exp == nil || c.Nbf == nil {
		return verifiedToken{}, fmt.Errorf("%w: exp and nbf are required", ErrMalformed)
	}
	now, skew := clockNow(), i.settings.ClockSkew
	if exp := time.Unix(*c.Exp, 0); !now.Before(exp.Add(skew)) {
		return verifiedToken{}, fmt.Errorf("%w: at %s (now %s)", ErrExpired, exp.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if nbf := time.Unix(*c.Nbf, 0); now.Add(skew).Before(nbf) {
		return verifiedToken{}, fmt.Errorf("%w: until %s (now %s)", ErrNotYetValid, nbf.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return v, nil
}

// verifiedToken is a token whose signature checked, with what of it
// can never change: its claims, and whether they are those of a token for
// the fulfillment API (audience and issuer's shape), checked once.
type verifiedToken struct {
	claims tokenClaims
	// forFulfillment is checkFulfillmentClaims' answer.
	forFulfillment error
}

// verifiedEntry finds token among the tokens verified, or verifies it.
func (i *Issuer) verifiedEntry(token string) (verifiedToken, error) {
	// Keyed by the whole token: the map's own hash finds it and a hit
	// compares every byte, so only the very token verified matches.
	// Hashing it with SHA-256 first made Authenticate 0.88 µs, not 0.27.
	if v, ok := i.verifiedTokens.get(token); ok {
		return v, nil
	}
	c, err := i.verifySignature(token)
	if err != nil {
		return verifiedToken{}, err
	}
	v := verifiedToken{claims: c, forFulfillment: checkFulfillmentClaims(c)}
	i.verifiedTokens.put(strings.Clone(token), v, maxVerified)
	return v, nil
}

// checkFulfillmentClaims: the token was issued for the fulfillment API,
// in the shape of its version's issuer.
func checkFulfillmentClaims(c tokenClaims) error {
	if !audienceIs(c.Aud, FulfillmentResource) {
		return fmt.Errorf("%w: aud %v, want %s", ErrAudience, []string(c.Aud), FulfillmentResource)
	}
	return checkIssuerShape(c)
}

// verifySignature parses token and checks its algorithm and signature.
func (i *Issuer) verifySignature(token string) (tokenClaims, error) {
	if err := checkAlgorithm(token); err != nil {
		return tokenClaims{}, err
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return tokenClaims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var c tokenClaims
	if err := parsed.Claims(&i.key.private.PublicKey, &c); err != nil {
		if errors.Is(err, jose.ErrCryptoFailure) {
			return tokenClaims{}, ErrSignature
		}
		return tokenClaims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, nil
}

// checkAlgorithm reads the JOSE header before go-jose does, so that a
// token with alg none or HS256 is refused as such (ErrAlgorithm) rather
// than as a generic parse failure.
func checkAlgorithm(token string) error {
	head, _, ok := strings.Cut(token, ".")
	if !ok || strings.Count(token, ".") != 2 {
		return fmt.Errorf("%w: %v", ErrMalformed, errNoTokenParts)
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("%w: header is not JSON", ErrMalformed)
	}
	if h.Alg != string(jose.RS256) {
		return fmt.Errorf("%w: %q (only RS256)", ErrAlgorithm, h.Alg)
	}
	return nil
}

// checkIssuerShape compares iss with the shape of its version: v1
// <base>/{tid}/, v2 <base>/{tid}/v2.0.
func checkIssuerShape(c tokenClaims) error {
	tid := normalizeID(c.Tid)
	var ok bool
	switch c.Ver {
	case version1:
		ok = strings.HasSuffix(strings.ToLower(c.Iss), "/"+tid+"/")
	case version2:
		ok = strings.HasSuffix(strings.ToLower(c.Iss), "/"+tid+"/v2.0")
	}
	if !ok || tid == "" {
		return fmt.Errorf("%w: iss %q for ver %q and tid %q", ErrIssuer, c.Iss, c.Ver, c.Tid)
	}
	return nil
}

func audienceIs(aud jwt.Audience, want string) bool {
	for _, a := range aud {
		if normalizeID(a) == normalizeID(want) && want != "" {
			return true
		}
	}
	return false
}
