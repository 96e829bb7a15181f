package sandboxtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// A test starts the whole sandbox in-process with a frozen clock, places
// an order, and moves time forward to see it provisioned.
func Example() {
	srv, err := sandboxtest.Start(sandboxtest.WithFrozenClock(time.Time{}))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	token, _ := srv.Token("demo-partner", "demo-secret", "marketplace.order:create")
	order := `{"externalSubscriptionId":"order-42","tradingPartnerId":"TP-DEMO-001",
	  "customer":{"companyName":"Acme","contact":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"},
	  "address":{"country":"GB"}},"orderLines":[{"productId":"2c92a00d76f0d5060176f2fb0a5029ff","quantity":10}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", strings.NewReader(order))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	fmt.Println("create:", resp.StatusCode)

	srv.Advance(2 * time.Second) // the Zuora callout falls due and is delivered
	fmt.Println("status:", status(srv, token, "order-42"))
	// Output:
	// create: 201
	// status: Provisioned
}

func status(srv *sandboxtest.Server, token, id string) string {
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/marketplace/subscriptions/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	_ = jsonDecode(resp, &body)
	return body.Status
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// A test's own calls keep working across clock advances when they go
// through Server.Client, whose token cache follows the sandbox clock: a
// stock clientcredentials client would send its expired token after the
// advance and get 401.
func ExampleServer_Client() {
	srv, err := sandboxtest.Start(sandboxtest.WithFrozenClock(time.Time{}))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client := srv.Client("demo-partner", "demo-secret", "marketplace.order:read", "marketplace.order:create")
	order := `{"externalSubscriptionId":"order-7","tradingPartnerId":"TP-DEMO-001",
	  "customer":{"companyName":"Acme","contact":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"},
	  "address":{"country":"GB"}},"orderLines":[{"productId":"2c92a00d76f0d5060176f2fb0a5029ff","quantity":10}]}`
	resp, err := client.Post(srv.URL+"/api/v1/marketplace/subscriptions", "application/json", strings.NewReader(order))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("create:", resp.StatusCode)

	srv.Advance(3 * time.Hour) // past the 2h token lifetime
	resp, err = client.Get(srv.URL + "/api/v1/marketplace/subscriptions/order-7")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("read 3h later:", resp.StatusCode) // a new token was fetched: 200, not 401
	// Output:
	// create: 201
	// read 3h later: 200
}
