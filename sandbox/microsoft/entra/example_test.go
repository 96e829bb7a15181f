package entra_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
)

// A publisher's app gets a v2 token for the fulfillment API, and the API
// authenticates the call that carries it.
func ExampleNew() {
	clk := clock.New(clock.WithFrozen(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))
	app := entra.App{TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ClientID: "11111111-2222-4333-8444-555555555555", ClientSecret: "s3cret-value", PublisherID: "contoso"}
	issuer, err := entra.New(entra.DefaultSettings(), clk, []entra.App{app})
	if err != nil {
		panic(err)
	}
	r := mux.NewRouter()
	issuer.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"scope": {entra.FulfillmentResource + "/.default"},
	}
	res, err := http.Post(srv.URL+"/"+app.TenantID+"/oauth2/v2.0/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	fmt.Println(res.StatusCode, tok.TokenType, tok.ExpiresIn)

	call := httptest.NewRequest(http.MethodGet, "/api/saas/subscriptions?api-version=2018-08-31", nil)
	call.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	p, err := issuer.Authenticate(call)
	fmt.Println(p.PublisherID, err)
	// Output:
	// 200 Bearer 3600
	// contoso <nil>
}
