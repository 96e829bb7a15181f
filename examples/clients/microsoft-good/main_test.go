package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
)

// client is a publisher running beside the test until stop.
type client struct {
	stdout, stderr bytes.Buffer
	code           int
	done           chan struct{}
	cancel         context.CancelFunc
}

func start(t *testing.T, env map[string]string, args ...string) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		c.code = run(ctx, args, clienttest.Getenv(env), &syncWriter{w: &c.stdout}, &c.stderr)
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *client) stop() {
	c.cancel()
	<-c.done
}

// syncWriter lets the test read what the client printed so far.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// The whole flow on the default fixtures: the customer buys seats and the
// metered plan, the app resolves and activates each once, meters each
// dimension once, refuses a forged webhook, and acknowledges a
// marketplace-side ChangeQuantity delivered twice exactly once, after
// reading the operation.
func TestGoodPublisherCompletesItsFlow(t *testing.T) {
	sb := clienttest.New(t)
	env := sb.MicrosoftEnv()
	c := start(t, env, "-duration", "8s", "-metered-plan", "metered")
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
	c.stop()
	if c.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", c.code, c.stdout.String(), c.stderr.String())
	}
	t.Logf("stdout:\n%s", c.stdout.String())
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
