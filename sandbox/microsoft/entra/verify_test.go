package entra

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// A token from either endpoint authenticates its app as its publisher.
func TestAuthenticateV1AndV2(t *testing.T) {
	e := newEnv(t, nil)
	a := e.postForm(v1Path, v1Form(), nil)
	for name, tok := range map[string]string{"v1": a.body["access_token"].(string), "v2": e.tokenV2()} {
		t.Run(name, func(t *testing.T) {
			r := bearer(tok)
			r.Header.Set("Authorization", "bearer "+tok) // the scheme in any case
			p, err := e.issuer.Authenticate(r)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p != (Principal{TenantID: tenantA, AppID: appA, PublisherID: "contoso"}) {
				t.Errorf("principal %+v", p)
			}
		})
	}
}

// The token expires with the sandbox clock: valid until exp, refused from
// exp on, also once its signature is cached; entra.clock_skew stretches
// that.
func TestAuthenticateExpiry(t *testing.T) {
	cases := []struct {
		name    string
		skew    time.Duration
		advance time.Duration
		want    error
	}{
		{"just before exp", 0, time.Hour - time.Second, nil},
		{"at exp", 0, time.Hour, ErrExpired},
		{"a day later", 0, 24 * time.Hour, ErrExpired},
		{"within a 5m skew", 5 * time.Minute, time.Hour + 4*time.Minute, nil},
		{"past a 5m skew", 5 * time.Minute, time.Hour + 5*time.Minute, ErrExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			s.ClockSkew = tc.skew
			e := newEnv(t, &s)
			tok := e.tokenV2()
			if _, err := e.issuer.Authenticate(bearer(tok)); err != nil {
				t.Fatalf("fresh token refused: %v", err) // and now remembered as verified
			}
			e.clock.Advance(t.Context(), tc.advance)
			if _, err := e.issuer.Authenticate(bearer(tok)); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Errorf("Authenticate after %s: %v, want %v", tc.advance, err, tc.want)
			}
		})
	}
}

// With entra.token_clock wall, an access token outlives a sandbox clock
// advance, as a client caching it by the wall clock expects, and expires
// with wall time.
func TestTokenClockWall(t *testing.T) {
	s := DefaultSettings()
	s.TokenClock = ClockWall
	e := newEnv(t, &s)
	tok := e.tokenV2()
	e.clock.Advance(t.Context(), 48*time.Hour)
	if _, err := e.issuer.Authenticate(bearer(tok)); err != nil {
		t.Errorf("after a sandbox-clock advance: %v", err)
	}
	e.wall.Advance(t.Context(), time.Hour)
	if _, err := e.issuer.Authenticate(bearer(tok)); !errors.Is(err, ErrExpired) {
		t.Errorf("after an hour of wall time: %v", err)
	}
}

// forge signs claims with key (and alg), for tokens the issuer would never make.
func forge(t *testing.T, alg jose.SignatureAlgorithm, key any, c any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Every way a token can be wrong is refused, with the reason.
func TestAuthenticateRefusals(t *testing.T) {
	e := newEnv(t, nil)
	good := e.tokenV2()
	parts := strings.Split(good, ".")
	claimsOf := func(edit func(*claims)) string {
		c := claims{Aud: FulfillmentResource, Iss: e.srv.URL + "/" + tenantA + "/v2.0", Tid: tenantA, Azp: appA, Ver: "2.0",
			Iat: start.Unix(), Nbf: start.Unix(), Exp: start.Add(time.Hour).Unix()}
		edit(&c)
		tok, err := e.issuer.sign(&c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	webhook, _ := e.issuer.SignWebhook(tenantA, appA)
	cases := []struct {
		name string
		auth string
		want error
	}{
		{"no header", "", ErrNoToken},
		{"basic scheme", "Basic Zm9vOmJhcg==", ErrNoToken},
		{"bearer without token", "Bearer ", ErrNoToken},
		{"not a JWT", "Bearer abc", ErrMalformed},
		{"tampered claims", "Bearer " + parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"x"}`)) + "." + parts[2], ErrSignature},
		{"tampered signature", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), ErrSignature},
		{"alg none", "Bearer " + noneHeader + "." + parts[1] + ".", ErrAlgorithm},
		{"HS256 with the public key as secret", "Bearer " + forge(t, jose.HS256, e.issuer.key.private.N.Bytes(), map[string]any{"aud": FulfillmentResource}), ErrAlgorithm},
		{"signed by another key", "Bearer " + forge(t, jose.RS256, mustKey(t), map[string]any{"aud": FulfillmentResource}), ErrSignature},
		{"webhook JWT (aud the publisher)", "Bearer " + webhook, ErrAudience},
		{"wrong audience", "Bearer " + claimsOf(func(c *claims) { c.Aud = "https://graph.microsoft.com" }), ErrAudience},
		{"unknown app", "Bearer " + claimsOf(func(c *claims) { c.Azp = "00000000-0000-4000-8000-000000000000" }), ErrUnknownApp},
		{"no app claim", "Bearer " + claimsOf(func(c *claims) { c.Azp = "" }), ErrUnknownApp},
		{"app of another tenant", "Bearer " + claimsOf(func(c *claims) { c.Azp = appB }), ErrUnknownApp},
		{"issuer of another tenant", "Bearer " + claimsOf(func(c *claims) { c.Iss = e.srv.URL + "/" + tenantB + "/v2.0" }), ErrIssuer},
		{"v1 issuer on a v2 token", "Bearer " + claimsOf(func(c *claims) { c.Iss = e.srv.URL + "/" + tenantA + "/" }), ErrIssuer},
		{"not yet valid", "Bearer " + claimsOf(func(c *claims) { c.Nbf = start.Add(time.Minute).Unix() }), ErrNotYetValid},
		{"expired", "Bearer " + claimsOf(func(c *claims) { c.Exp = start.Unix() }), ErrExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/saas/subscriptions", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if _, err := e.issuer.Authenticate(r); !errors.Is(err, tc.want) {
				t.Errorf("Authenticate: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := e.issuer.Authenticate(bearer(good)); err != nil {
		t.Errorf("the good token was refused: %v", err)
	}
}

// Restoring fixtures without an app makes its tokens stop working; the
// key is unchanged, so the others still verify.
func TestSetAppsForgetsApps(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.tokenV2()
	e.issuer.SetApps(testApps[1:])
	if _, err := e.issuer.Authenticate(bearer(tok)); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("after SetApps: %v, want ErrUnknownApp", err)
	}
	e.issuer.SetApps(testApps)
	if _, err := e.issuer.Authenticate(bearer(tok)); err != nil {
		t.Errorf("after restoring: %v", err)
	}
}

// A webhook JWT carries what Microsoft's does and passes VerifyWebhook,
// which refuses it for another publisher or once expired.
func TestWebhookJWT(t *testing.T) {
	e := newEnv(t, nil)
	tok, err := e.issuer.SignWebhook(tenantB, appB)
	if err != nil {
		t.Fatal(err)
	}
	wantClaims(t, payload(t, tok), map[string]any{
		"aud": appB, "tid": tenantB, "appid": FulfillmentResource, "azp": FulfillmentResource,
		"iss": e.srv.URL + "/" + tenantB + "/v2.0", "ver": "2.0",
		"exp": float64(start.Add(10 * time.Minute).Unix()),
	})
	if err := e.issuer.VerifyWebhook(tok, tenantB, appB); err != nil {
		t.Errorf("VerifyWebhook: %v", err)
	}
	if err := e.issuer.VerifyWebhook(tok, tenantA, appB); !errors.Is(err, ErrWrongTenant) {
		t.Errorf("other tenant: %v", err)
	}
	if err := e.issuer.VerifyWebhook(tok, tenantB, appA); !errors.Is(err, ErrAudience) {
		t.Errorf("other audience: %v", err)
	}
	if err := e.issuer.VerifyWebhook(e.tokenV2(), tenantA, FulfillmentResource); !errors.Is(err, ErrWrongCaller) {
		t.Errorf("an access token as webhook JWT: %v", err)
	}
	if _, err := e.issuer.SignWebhook("", appB); err == nil {
		t.Error("SignWebhook without a tenant succeeded")
	}
	e.clock.Advance(t.Context(), 30*24*time.Hour)
	if err := e.issuer.VerifyWebhook(tok, tenantB, appB); err != nil {
		t.Errorf("after the sandbox clock moved 30 days: %v (webhook JWTs follow the wall clock)", err)
	}
	e.wall.Advance(t.Context(), 10*time.Minute)
	if err := e.issuer.VerifyWebhook(tok, tenantB, appB); !errors.Is(err, ErrExpired) {
		t.Errorf("after 10m of wall time: %v", err)
	}
}
