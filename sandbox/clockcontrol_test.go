package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// postWithin sends a control POST that must be answered within limit.
func postWithin(t *testing.T, limit time.Duration, url, body string) answer {
	t.Helper()
	done := make(chan answer, 1)
	go func() {
		a, err := trySend(http.MethodPost, url, body, "Content-Type", jsonType)
		if err != nil {
			t.Errorf("POST %s: %v", url, err)
		}
		done <- a
	}()
	select {
	case a := <-done:
		return a
	case <-time.After(limit):
		t.Fatalf("POST %s got no answer within %s", url, limit)
		return answer{}
	}
}

// TestAdvancePastTheClockRangeIsRefused: the clock never passes
// clock.Latest; an advance that would is a 400 naming the limit, and the
// clock does not move.
func TestAdvancePastTheClockRangeIsRefused(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(clock.Latest.Add(-time.Hour)))
	for _, body := range []string{`{"by":"2h"}`, `{"to":"9000-01-01T00:00:01Z"}`, `{"to":"9999-12-31T23:59:59Z"}`, `{"by":"876000h"}`} {
		a := send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", body, "Content-Type", jsonType)
		if a.status != http.StatusBadRequest || !strings.Contains(a.raw, "9000-01-01T00:00:00Z") {
			t.Errorf("%s: %d %s, want a 400 naming the limit", body, a.status, a.raw)
		}
	}
	if now := send(t, http.MethodGet, srv.URL+"/_sandbox/clock", "").body["now"]; now != "8999-12-31T23:00:00Z" {
		t.Errorf("the clock moved to %v", now)
	}
	if a := send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`); a.status != 200 || a.body["now"] != "9000-01-01T00:00:00Z" {
		t.Errorf("advance to exactly the limit: %d %s", a.status, a.raw)
	}
}

// TestAdvanceOverAHugeBacklogIsBounded: one advance fires at most 10 000
// jobs and then answers 409 advance_incomplete saying where the clock
// stands; the next advance goes on.
func TestAdvanceOverAHugeBacklogIsBounded(t *testing.T) {
	srv := frozen(t)
	var mu sync.Mutex
	fired := 0
	for i := range 10_050 {
		srv.Sandbox.Clock().AfterFunc(time.Duration(i+1)*time.Millisecond, "job", func(context.Context) { mu.Lock(); fired++; mu.Unlock() })
	}
	a := postWithin(t, time.Minute, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`)
	if a.status != http.StatusConflict || a.body["error"] != "advance_incomplete" || !strings.Contains(a.raw, "10000 jobs") {
		t.Fatalf("advance over 10 050 jobs: %d %s", a.status, a.raw)
	}
	if a := postWithin(t, time.Minute, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`); a.status != 200 || a.body["fired"] != 50.0 {
		t.Errorf("second advance: %d %.200s", a.status, a.raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if fired != 10_050 {
		t.Errorf("%d jobs fired, want all", fired)
	}
}

// TestAdvanceStopsWhenItsClientGoesAway: an advance whose client hung up
// fires no further job.
func TestAdvanceStopsWhenItsClientGoesAway(t *testing.T) {
	srv := frozen(t)
	clk := srv.Sandbox.Clock()
	for i := range 5000 {
		clk.AfterFunc(time.Duration(i+1)*time.Second, "slow job", func(context.Context) { time.Sleep(2 * time.Millisecond) })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/_sandbox/clock/advance", strings.NewReader(`{"by":"10h"}`))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the advance answered %d within 200ms", resp.StatusCode)
	}
	time.Sleep(300 * time.Millisecond)
	before := len(clk.Pending())
	time.Sleep(300 * time.Millisecond)
	if after := len(clk.Pending()); after != before || after == 0 {
		t.Errorf("pending went from %d to %d after the client left: the advance kept working", before, after)
	}
	if a := postWithin(t, 5*time.Second, srv.URL+"/_sandbox/reset", ""); a.status != 200 {
		t.Errorf("reset: %d %s", a.status, a.raw)
	}
}

// TestResetDoesNotWaitForACalloutInFlight: a callout whose receiver hangs
// (here a hang fault on the callout path) is abandoned by a reset, which
// answers at once instead of after the callout timeout; a concurrent
// advance is interrupted too. Run with -race.
func TestResetDoesNotWaitForACalloutInFlight(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"hang-callouts","match":{"path":"/zuora/callouts"},"effect":{"transport":"hang"}}`)
	tok := token(t, srv, "demo-partner", "demo-secret")
	if a := send(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", order("reset-1"),
		"Authorization", "Bearer "+tok, "Content-Type", jsonType); a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	advanced := make(chan answer, 1)
	go func() {
		a, _ := trySend(http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1h"}`)
		advanced <- a
	}()
	deadline := time.Now().Add(5 * time.Second)
	for send(t, http.MethodGet, srv.URL+"/_sandbox/faults/hang-callouts", "").body["hits"] != 1.0 {
		if time.Now().After(deadline) {
			t.Fatal("the callout never reached the receiver")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if a := postWithin(t, 3*time.Second, srv.URL+"/_sandbox/reset", ""); a.status != 200 {
		t.Errorf("reset: %d %s", a.status, a.raw)
	}
	t.Logf("reset answered in %s", time.Since(start))
	select {
	case a := <-advanced:
		if a.status != http.StatusConflict || !strings.Contains(a.raw, "reset") {
			t.Errorf("the interrupted advance answered %d %s", a.status, a.raw)
		}
	case <-time.After(3 * time.Second):
		t.Error("the advance did not answer after the reset")
	}
	if subs := send(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions", ""); subs.body["total"] != 0.0 {
		t.Errorf("after reset: %s", subs.raw)
	}
}

// TestClockStartPastTheRangeIsRefused: the configuration cannot start the
// clock where an advance may not take it.
func TestClockStartPastTheRangeIsRefused(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Clock, cfg.ClockStart = clock.ModeFrozen, time.Date(9500, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := sandbox.New(cfg); err == nil || !strings.Contains(err.Error(), "clock_start") || !strings.Contains(err.Error(), "9000-01-01") {
		t.Errorf("New with clock_start in 9500: %v", err)
	}
}
