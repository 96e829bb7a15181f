package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
)

// Every habit but the slow ACK (15 s, tested alone below): the flow
// completes, and the journal holds each habit's trace.
func TestNaivePublisherHabitsShowOnTheWire(t *testing.T) {
	sb := clienttest.New(t)
	env := sb.MicrosoftEnv()
	c := clienttest.Start(t, run, env, "-duration", "8s", "-metered-plan", "metered", "-slow-ack=false")
	var seats clienttest.Subscription
	sb.WaitFor("the seats to be Subscribed", 5*time.Second, func() (ok bool) {
		seats, ok = sb.Subscribed("team-seats")
		return ok
	})
	sb.WaitFor("the usage to be reported", 5*time.Second, func() bool {
		return sb.Count("method=POST&path=/api/usageEvent") == 4
	})
	resp, err := http.Post(env["MARKETPLACE_WEBHOOK_URL"], "application/json", strings.NewReader(
		`{"id":"forged","subscriptionId":"`+seats.Subscription.ID+`","action":"ChangeQuantity","status":"InProgress","quantity":99}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("forged webhook answered %d; the naive app takes it", resp.StatusCode)
	}
	sb.Control(http.MethodPost, "/microsoft/webhooks/rules", map[string]any{"action": "ChangeQuantity", "copies": 1}, nil)
	sb.Control(http.MethodPost, "/microsoft/subscriptions/"+seats.Subscription.ID+"/events", map[string]any{"action": "ChangeQuantity", "quantity": 8}, nil)
	acks := "method=PATCH&path=/api/saas/subscriptions/*/operations/*"
	sb.WaitFor("the forged and both copies to be acknowledged", 5*time.Second, func() bool { return sb.Count(acks) == 3 })
	c.Stop()
	if c.Code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", c.Code, c.Stdout(), c.Stderr())
	}
	t.Logf("stdout:\n%s", c.Stdout())
	tokens := sb.Count("path=/" + clienttest.ContosoTenant + "/oauth2/v2.0/token")
	calls := sb.Count("api=microsoft&path=/api/**")
	if tokens != calls {
		t.Errorf("%d tokens for %d calls", tokens, calls)
	}
	for _, tc := range []struct {
		what, query string
		want        int
	}{
		{"resolves with the encoded token", "path=/api/saas/subscriptions/resolve&status=400", 2},
		{"activations", "method=POST&path=/api/saas/subscriptions/*/activate", 4},
		{"operation reads", "method=GET&path=/api/saas/subscriptions/*/operations/*", 0},
		{"acknowledgements refused (forged, duplicate)", acks + "&status=4xx", 2},
		{"usage duplicates", "method=POST&path=/api/usageEvent&status=409", 2},
	} {
		if n := sb.Count(tc.query); n != tc.want {
			t.Errorf("%d %s, want %d", n, tc.what, tc.want)
		}
	}
}

// The slow ACK alone: nothing is acknowledged within the 10 s window.
func TestNaivePublisherAcknowledgesLate(t *testing.T) {
	sb := clienttest.New(t)
	env := sb.MicrosoftEnv()
	args := []string{"-duration", "8s", "-slow-ack"}
	for _, f := range []string{"token-per-call", "no-jwt-check", "no-dedupe", "no-get-operation", "encoded-token", "activate-twice", "double-meter"} {
		args = append(args, "-"+f+"=false")
	}
	c := clienttest.Start(t, run, env, args...)
	var seats clienttest.Subscription
	sb.WaitFor("the seats to be Subscribed", 5*time.Second, func() (ok bool) {
		seats, ok = sb.Subscribed("team-seats")
		return ok
	})
	sb.Control(http.MethodPost, "/microsoft/subscriptions/"+seats.Subscription.ID+"/events", map[string]any{"action": "ChangeQuantity", "quantity": 8}, nil)
	sb.WaitFor("the operation to be read", 5*time.Second, func() bool {
		return sb.Count("method=GET&path=/api/saas/subscriptions/*/operations/*") == 1
	})
	time.Sleep(time.Second)
	c.Stop()
	if n := sb.Count("method=PATCH&path=/api/saas/subscriptions/*/operations/*"); n != 0 || c.Code != 0 {
		t.Errorf("%d acknowledgements a second after the webhook (exit %d)", n, c.Code)
	}
}
