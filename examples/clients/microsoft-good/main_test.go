package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
)

// The whole flow on the default fixtures: the customer buys seats and the
// metered plan, the app resolves and activates each once, meters each
// dimension once, refuses a forged webhook, and acknowledges a
// marketplace-side ChangeQuantity delivered twice exactly once, after
// reading the operation.
func TestGoodPublisherCompletesItsFlow(t *testing.T) {
	sb := clienttest.New(t)
	env := sb.MicrosoftEnv()
	c := clienttest.Start(t, run, env, "-duration", "8s", "-metered-plan", "metered")
	var seats clienttest.Subscription
	sb.WaitFor("the seats to be Subscribed", 5*time.Second, func() (ok bool) {
		seats, ok = sb.Subscribed("team-seats")
		return ok
	})
	sb.WaitFor("the metered plan to be Subscribed", 5*time.Second, func() bool {
		_, ok := sb.Subscribed("metered")
		return ok
	})

	resp, err := http.Post(env["MARKETPLACE_WEBHOOK_URL"], "application/json",
		strings.NewReader(`{"id":"forged","subscriptionId":"`+seats.Subscription.ID+`","action":"ChangeQuantity"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged webhook answered %d, want 401", resp.StatusCode)
	}

	sb.Control(http.MethodPost, "/microsoft/webhooks/rules", map[string]any{"action": "ChangeQuantity", "copies": 1}, nil)
	sb.Control(http.MethodPost, "/microsoft/subscriptions/"+seats.Subscription.ID+"/events", map[string]any{"action": "ChangeQuantity", "quantity": 8}, nil)
	sb.WaitFor("the change to be acknowledged", 5*time.Second, func() bool {
		sub, _ := sb.Subscribed("team-seats")
		return sub.Subscription.Quantity == 8
	})
	sb.WaitFor("the duplicate to be delivered", 5*time.Second, func() bool {
		return sb.Count("direction=outbound&status=200") >= 2
	})
	c.Stop()
	if c.Code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", c.Code, c.Stdout(), c.Stderr())
	}
	t.Logf("stdout:\n%s", c.Stdout())
	for _, tc := range []struct {
		what, query string
		want        int
	}{
		{"token requests", "path=/" + clienttest.ContosoTenant + "/oauth2/v2.0/token", 1},
		{"resolves", "path=/api/saas/subscriptions/resolve&status=200", 2},
		{"activations", "method=POST&path=/api/saas/subscriptions/*/activate", 2},
		{"operation reads", "method=GET&path=/api/saas/subscriptions/*/operations/*", 1},
		{"acknowledgements", "method=PATCH&path=/api/saas/subscriptions/*/operations/*", 1},
		{"usage events", "method=POST&path=/api/usageEvent&status=200", 2},
	} {
		if n := sb.Count(tc.query); n != tc.want {
			t.Errorf("%d %s, want %d", n, tc.what, tc.want)
		}
	}
}
