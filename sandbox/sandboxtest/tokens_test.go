package sandboxtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const (
	scopeRead   = "marketplace.order:read"
	scopeCreate = "marketplace.order:create"
)

// TestClientFollowsSandboxClock is the trap of issue #10 class 3 and its
// remedy: once the sandbox clock passes the token lifetime, a stock
// clientcredentials client keeps sending its expired token (401), while
// Server.Client and Server.TokenSource fetch a new one (200).
func TestClientFollowsSandboxClock(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	ctx := context.Background()
	stock := (&clientcredentials.Config{
		ClientID: "demo-partner", ClientSecret: "demo-secret",
		TokenURL: srv.URL + "/oauth/token", Scopes: []string{scopeRead, scopeCreate},
	}).Client(ctx)
	helper := srv.Client("demo-partner", "demo-secret", scopeRead, scopeCreate)
	// oauth2.NewClient wraps the source in a wall-clock ReuseTokenSource:
	// the helper's source must still be asked on every request.
	wrapped := oauth2.NewClient(ctx, srv.TokenSource("demo-partner", "demo-secret", scopeRead))
	createOrder(t, helper, srv.URL, "clock-order-1")

	steps := []struct {
		name    string
		advance time.Duration
		want    map[string]int // client name → status of reading the order
	}{
		{"before any advance every client reads the order", 0,
			map[string]int{"stock": 200, "helper": 200, "oauth2.NewClient(TokenSource)": 200}},
		{"within the lifetime nothing changes", time.Hour,
			map[string]int{"stock": 200, "helper": 200, "oauth2.NewClient(TokenSource)": 200}},
		{"past the lifetime the stock client is stuck with its expired token", 2 * time.Hour,
			map[string]int{"stock": 401, "helper": 200, "oauth2.NewClient(TokenSource)": 200}},
		{"many lifetimes later the helper still refreshes", 30 * 24 * time.Hour,
			map[string]int{"stock": 401, "helper": 200, "oauth2.NewClient(TokenSource)": 200}},
	}
	clients := map[string]*http.Client{"stock": stock, "helper": helper, "oauth2.NewClient(TokenSource)": wrapped}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			srv.Advance(step.advance)
			for name, want := range step.want {
				if got := readOrder(t, clients[name], srv.URL, "clock-order-1"); got != want {
					t.Errorf("%s client: GET status = %d, want %d", name, got, want)
				}
			}
		})
	}
}

// TestTokenSourceReportsTokenErrors: bad credentials are an error from
// Token naming the portal's answer, not a token that fails later.
func TestTokenSourceReportsTokenErrors(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	// The sandbox builds its OpenAPI validator in the background; an order
	// waits for it, so that no goroutine outlives the test.
	createOrder(t, srv.Client("demo-partner", "demo-secret", scopeCreate), srv.URL, "errors-order-1")
	cases := []struct {
		name, secret, scope, want string
	}{
		{"wrong secret", "nope", scopeRead, "401 invalid_client"},
		{"unknown scope", "demo-secret", "marketplace.order:delete", "400 invalid_scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := srv.TokenSource("demo-partner", c.secret, c.scope).Token()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Token() error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func createOrder(t *testing.T, c *http.Client, base, id string) {
	t.Helper()
	order := `{"externalSubscriptionId":"` + id + `","tradingPartnerId":"TP-DEMO-001",
	  "customer":{"companyName":"Acme","contact":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"},
	  "address":{"country":"GB"}},"orderLines":[{"productId":"2c92a00d76f0d5060176f2fb0a5029ff","quantity":10}]}`
	resp, err := c.Post(base+"/api/v1/marketplace/subscriptions", "application/json", strings.NewReader(order))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create answered %d, want 201", resp.StatusCode)
	}
}

func readOrder(t *testing.T, c *http.Client, base, id string) int {
	t.Helper()
	resp, err := c.Get(base + "/api/v1/marketplace/subscriptions/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
