package entra

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// A stock Entra client, the Azure SDK for Go's ClientSecretCredential
// (MSAL underneath), gets a token from the sandbox over HTTPS with nothing
// changed but its authority host and the CA it trusts, and the token
// authenticates the publisher. Instance discovery must be off: MSAL asks
// Microsoft's global host (login.microsoftonline.com) about any authority
// host it does not know, never the authority itself, so the sandbox's
// /common/discovery/instance cannot stand in for it.
func TestStockAzureIdentityClient(t *testing.T) {
	clk := clock.New() // MSAL caches by the wall clock: keep the sandbox clock on it
	r := mux.NewRouter()
	srv := httptest.NewTLSServer(r)
	t.Cleanup(srv.Close)
	iss, err := New(DefaultSettings(), clk, testApps, WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	iss.Routes(r)
	getToken := func(t *testing.T, secret string) (azcore.AccessToken, error) {
		t.Helper()
		cred, err := azidentity.NewClientSecretCredential(tenantA, appA, secret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"},
				Transport: srv.Client(), // trusts the test server's certificate
			},
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{FulfillmentResource + "/.default"}})
	}
	t.Run("right secret", func(t *testing.T) {
		tok, err := getToken(t, secretA)
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		req := httptest.NewRequest(http.MethodGet, "/api/saas/subscriptions", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		if p, err := iss.Authenticate(req); err != nil || p.PublisherID != "contoso" {
			t.Errorf("Authenticate: %+v, %v", p, err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, err := getToken(t, "wrong")
		if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
			t.Errorf("GetToken: %v, want Entra's AADSTS7000215", err)
		}
	})
}
