package entra

import (
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
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
