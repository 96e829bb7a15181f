package microsoft_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
)

// TestWithTheRealTokenService wires package entra as the sandbox does: a
// token from its v1 endpoint calls the fulfillment API, and the webhook
// it signs verifies at the sample publisher.
func TestWithTheRealTokenService(t *testing.T) {
	clk := clock.New(clock.WithFrozen(start))
	router := mux.NewRouter()
	e := &env{t: t, clock: clk, fx: fixtures.Default().Microsoft}
	e.srv = newServer(t, router)
	issuer, err := entra.New(entra.DefaultSettings(), clk, nil, entra.WithBaseURL(e.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	m, err := microsoft.New(microsoft.DefaultSettings(), e.fx, clk, microsoft.WithBaseURL(e.srv.URL),
		microsoft.WithAuthenticator(issuer), microsoft.WithSigner(issuer), microsoft.WithWebhookVerifier(issuer), microsoft.WithTokenIssuer(issuer))
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	m.Routes(router)
	router.NotFoundHandler = http.HandlerFunc(m.NotFound)

	p := e.fx.Publishers[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret}, "resource": {"20e940b3-4c77-4b0b-9a53-9e16a1b010a7"}}
	resp, err := http.Post(e.srv.URL+"/"+p.TenantID+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	if r := e.do(http.MethodGet, "/api/saas/subscriptions"+v, bearer, nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := e.do(http.MethodGet, "/api/saas/subscriptions"+v, map[string]string{"Authorization": "Bearer " + tok.AccessToken + "x"}, nil); r.status != 403 {
		t.Fatalf("a forged token: %d", r.status)
	}
	id := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"}).body["subscriptionId"].(string)
	if r := e.do(http.MethodPost, "/api/saas/subscriptions/"+id+"/activate"+v, bearer, map[string]any{"planId": "basic"}); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	e.event(id, map[string]any{"action": "Suspend"})
	e.flush()
	got := e.do(http.MethodGet, "/_sandbox/microsoft/sample/webhooks", nil, nil).body["received"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["verified"] != true {
		t.Fatalf("%v", got)
	}
	if r := e.do(http.MethodGet, "/"+p.TenantID+"/oauth2/nothing", nil, nil); r.status != 404 || r.body["error"] == nil {
		t.Fatalf("an unknown Entra path is not in Entra's envelope: %d %s", r.status, r.raw)
	}
}
