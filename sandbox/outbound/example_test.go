package outbound_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// A marketplace that signs every webhook with a fresh bearer token, counts
// any 2xx as delivered, and retries every minute; the partner's receiver
// fails once.
func ExampleNew() {
	failed := false
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !failed {
			failed = true
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer receiver.Close()

	clk := clock.New(clock.WithFrozen(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	webhooks := outbound.New(outbound.Config{
		Clock: clk, Sender: "vendor", Noun: "webhook",
		Schedule: outbound.Schedule{Attempts: 500, Interval: time.Minute},
		Timeout:  10 * time.Second,
		Prepare: func(req *http.Request, a outbound.Attempt) error {
			req.Header.Set("Authorization", fmt.Sprintf("Bearer token-for-attempt-%d", a.Number))
			return nil
		},
		Success: outbound.Any2xx,
	})
	webhooks.Schedule(outbound.Message{
		ID: "op-1", Event: "ChangePlan", Subject: "sub-1", URL: receiver.URL, Body: []byte(`{"id":"op-1"}`),
	}, outbound.Plan{})

	clk.Advance(context.Background(), time.Hour)
	for _, d := range webhooks.Deliveries() {
		fmt.Println(d.Attempt, d.StatusCode, d.Outcome, d.At.Format(time.TimeOnly))
	}
	// Output:
	// 1 503 retrying 00:00:00
	// 2 202 delivered 00:01:00
}
