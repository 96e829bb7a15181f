package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
)

// fulfillmentScope is what a publisher asks Entra for to call the SaaS
// Fulfillment API: its resource id with /.default (docs/microsoft.md §2).
const fulfillmentScope = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"

// TestAzidentityAgainstTheTLSSandbox is the stock-client story
// from a publisher's side: start the binary with --tls, trust the CA file
// it names, and point the Azure SDK for Go's ClientSecretCredential at it
// with nothing changed but the authority host and that CA. Its token
// calls the fulfillment API; a wrong secret fails as Entra fails it.
// Instance discovery stays off: MSAL would ask login.microsoftonline.com
// about an authority host it does not know.
func TestAzidentityAgainstTheTLSSandbox(t *testing.T) {
	s := startServer(t, nil, "--tls", "--clock", "frozen")
	defer s.stop()
	// The banner is written before the CA line: wait for the whole of it.
	lines := caLines(s.stdout.String())
	for deadline := time.Now().Add(5 * time.Second); len(lines) == 0 && time.Now().Before(deadline); lines = caLines(s.stdout.String()) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "CA certificate: ") {
		t.Fatalf("want one CA certificate line, got %q:\n%s", lines, s.stdout)
	}
	caFile := strings.TrimPrefix(lines[0], "CA certificate: ")
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	contoso := fixtures.Default().Microsoft.Publishers[0]

	getToken := func(t *testing.T, secret string) (azcore.AccessToken, error) {
		t.Helper()
		cred, err := azidentity.NewClientSecretCredential(contoso.TenantID, contoso.ClientID, secret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.url + "/"},
				Transport: client,
			},
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{fulfillmentScope}})
	}

	t.Run("the CA served is the CA file", func(t *testing.T) {
		resp, err := client.Get(s.url + "/_sandbox/ca.pem")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		served, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(served, caPEM) {
			t.Errorf("GET /_sandbox/ca.pem: %s, %d bytes; the file has %d", resp.Status, len(served), len(caPEM))
		}
	})
	t.Run("its token calls the fulfillment API", func(t *testing.T) {
		tok, err := getToken(t, contoso.ClientSecret)
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/saas/subscriptions?api-version=2018-08-31", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct {
			Subscriptions []json.RawMessage `json:"subscriptions"`
		}
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &page); resp.StatusCode != http.StatusOK || err != nil || page.Subscriptions == nil {
			t.Errorf("list subscriptions with azidentity's token: %s %s", resp.Status, raw)
		}
	})
	t.Run("a wrong secret is Entra's AADSTS7000215", func(t *testing.T) {
		_, err := getToken(t, "not-the-secret")
		if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
			t.Errorf("GetToken with a wrong secret: %v, want an error carrying AADSTS7000215", err)
		}
	})
}
