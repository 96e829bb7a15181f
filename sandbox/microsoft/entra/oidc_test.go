package entra

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// A stock OIDC verifier (coreos/go-oidc) discovers the tenant's issuer
// from our discovery document and verifies what we sign: a publisher's
// v2 and v1 access tokens, and the JWT of a webhook, as a publisher's
// receiver would.
func TestStockOIDCVerifier(t *testing.T) {
	e := newEnv(t, nil)
	ctx := oidc.ClientContext(t.Context(), e.srv.Client())
	v1 := e.postForm(v1Path, v1Form(), nil).body["access_token"].(string)
	webhook, err := e.issuer.SignWebhook(tenantB, appB)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, issuer, audience, token string
	}{
		{"v2 access token", e.srv.URL + "/" + tenantA + "/v2.0", FulfillmentResource, e.tokenV2()},
		{"v1 access token", e.srv.URL + "/" + tenantA + "/", FulfillmentResource, v1},
		{"webhook JWT", e.srv.URL + "/" + tenantB + "/v2.0", appB, webhook},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			provider, err := oidc.NewProvider(ctx, tc.issuer)
			if err != nil {
				t.Fatalf("NewProvider(%s): %v", tc.issuer, err)
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: tc.audience, Now: e.clock.Now})
			tok, err := verifier.Verify(ctx, tc.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tok.Issuer != tc.issuer {
				t.Errorf("issuer %s", tok.Issuer)
			}
			// The same verifier refuses the token for another audience.
			other := provider.Verifier(&oidc.Config{ClientID: appA + "x", Now: e.clock.Now})
			if _, err := other.Verify(ctx, tc.token); err == nil {
				t.Error("verified for another audience")
			}
		})
	}
}

// A publisher's receiver with a stock verifier left on its own wall clock
// still accepts webhook JWTs after the sandbox clock has moved a month
// ahead (entra.webhook_token_clock defaults to wall).
func TestStockVerifierAfterClockAdvance(t *testing.T) {
	clk := clock.New(clock.WithFrozen(time.Now()))
	r := mux.NewRouter()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	iss, err := New(DefaultSettings(), clk, testApps, WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	iss.Routes(r)
	clk.Advance(t.Context(), 30*24*time.Hour)
	tok, err := iss.SignWebhook(tenantA, appA)
	if err != nil {
		t.Fatal(err)
	}
	ctx := oidc.ClientContext(t.Context(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.URL+"/"+tenantA+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: appA}).Verify(ctx, tok); err != nil {
		t.Errorf("stock verifier on the wall clock: %v", err)
	}
}
