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
