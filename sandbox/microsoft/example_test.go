package microsoft_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
)

// A customer buys a plan, the publisher activates it, and a month later
// the subscription has renewed, on a frozen clock.
func ExampleNew() {
	clk := clock.New(clock.WithFrozen(time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)))
	router := mux.NewRouter()
	srv := httptest.NewServer(router)
	defer srv.Close()
	m, err := microsoft.New(microsoft.DefaultSettings(), fixtures.Default().Microsoft, clk,
		microsoft.WithBaseURL(srv.URL), microsoft.WithAuthenticator(fakeAuth{}))
	if err != nil {
		panic(err)
	}
	m.Routes(router)

	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		p := fixtures.Default().Microsoft.Publishers[0]
		req.Header.Set("Authorization", "Bearer "+p.TenantID+":"+p.ClientID) // fakeAuth's form; entra's JWT in the sandbox
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, purchase := call("POST", "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"basic"}`)
	id := purchase["subscriptionId"].(string)
	fmt.Println("purchase:", status)
	status, _ = call("POST", "/api/saas/subscriptions/"+id+"/activate?api-version=2018-08-31", `{"planId":"basic"}`)
	fmt.Println("activate:", status)
	clk.Advance(context.Background(), 31*24*time.Hour)
	_, sub := call("GET", "/api/saas/subscriptions/"+id+"?api-version=2018-08-31", "")
	term := sub["term"].(map[string]any)
	fmt.Println(sub["saasSubscriptionStatus"], term["startDate"], term["endDate"])
	// Output:
	// purchase: 201
	// activate: 200
	// Subscribed 2026-04-07T00:00:00Z 2026-05-06T00:00:00Z
}
