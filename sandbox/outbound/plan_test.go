package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// TestHoldFireDrop: a held message waits, listed as pending, until it is
// fired (and goes through the normal attempts) or dropped (and never
// goes); neither works twice.
func TestHoldFireDrop(t *testing.T) {
	rc := newReceiver(t, statuses(200))
	f := newFixture(t, outbound.Config{})
	hold := outbound.Cause{Why: "manual", Script: "s1"}
	f.d.Schedule(message("a", rc.URL), outbound.Plan{Hold: hold})
	f.d.Schedule(message("b", rc.URL), outbound.Plan{Hold: hold})
	f.advance(t, time.Hour)
	if p := f.d.Pending(); len(p) != 2 || p[0].MessageID != "a" || p[0].Why != "manual" || p[0].Script != "s1" || !p[0].Since.Equal(epoch) {
		t.Fatalf("pending %+v, want a and b held since the start", p)
	}
	if len(rc.requests()) != 0 {
		t.Fatal("a held message was sent")
	}
	if h, err := f.d.Fire("a"); err != nil || h.MessageID != "a" {
		t.Fatalf("Fire(a) = %+v, %v", h, err)
	}
	if p := f.clock.Pending(); len(p) != 1 || p[0].Name != `vendor sends fired webhook "Created" for sub-a` {
		t.Errorf("clock pending %+v, want the fired send", p)
	}
	f.advance(t, 0)
	if _, err := f.d.Drop("b", "dropped by hand"); err != nil {
		t.Fatalf("Drop(b): %v", err)
	}
	for _, id := range []string{"a", "b", "unknown"} {
		if _, err := f.d.Fire(id); !errors.Is(err, outbound.ErrNotHeld) {
			t.Errorf("Fire(%s) again: %v, want ErrNotHeld", id, err)
		}
		if _, err := f.d.Drop(id, "again"); !errors.Is(err, outbound.ErrNotHeld) {
			t.Errorf("Drop(%s) again: %v, want ErrNotHeld", id, err)
		}
	}
	sameStrings(t, "deliveries", f.outcomes(), []string{"a 0/0 held @0s", "b 0/0 held @0s", "a 1/0 delivered @1h0m0s", "b 0/0 dropped @1h0m0s"})
	if d := f.d.Deliveries(); d[3].Reason != "dropped by hand" || d[0].RequestID != "" {
		t.Errorf("records %+v", d)
	}
	if len(rc.requests()) != 1 {
		t.Errorf("%d requests, want only a's", len(rc.requests()))
	}
}

// TestDropPlan: a plan that drops a message records it and sends nothing.
func TestDropPlan(t *testing.T) {
	rc := newReceiver(t, statuses(200))
	f := newFixture(t, outbound.Config{})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{Drop: outbound.Cause{Why: "lost", Script: "s"}})
	f.advance(t, time.Hour)
	if d := f.d.Deliveries(); len(d) != 1 || d[0].Outcome != outbound.OutcomeDropped || d[0].Script != "s" || len(rc.requests()) != 0 {
		t.Errorf("deliveries %+v, %d requests; want one dropped record, no request", d, len(rc.requests()))
	}
}

// TestCopies: scripted duplicates carry the same message id, each its own
// request id and attempts, and the script that made them.
func TestCopies(t *testing.T) {
	rc := newReceiver(t, statuses(200, 500, 200))
	f := newFixture(t, outbound.Config{})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{Copies: 2, CopiesScript: "dup"})
	f.advance(t, time.Hour)
	sameStrings(t, "deliveries", f.outcomes(), []string{"m 1/0 delivered @0s", "m 1/1 retrying @0s", "m 1/2 delivered @0s", "m 2/1 delivered @30m0s"})
	ids := map[string]bool{}
	for _, d := range f.d.Deliveries() {
		ids[d.RequestID] = true
		if (d.Copy > 0) != (d.Script == "dup") {
			t.Errorf("copy %d has script %q", d.Copy, d.Script)
		}
	}
	if len(ids) != 4 {
		t.Errorf("%d distinct request ids over 4 requests", len(ids))
	}
}

// TestReorder: a reordered message waits until another message has been
// attempted, then goes; with no other message it goes after the first
// retry interval.
func TestReorder(t *testing.T) {
	rc := newReceiver(t, statuses(200))
	f := newFixture(t, outbound.Config{})
	reorder := outbound.Plan{Reorder: outbound.Cause{Why: "out of order"}}
	f.d.Schedule(message("first", rc.URL), reorder)
	f.d.Schedule(message("second", rc.URL), outbound.Plan{Delay: time.Minute})
	f.advance(t, time.Hour)
	sameStrings(t, "deliveries", f.outcomes(), []string{"first 0/0 held @0s", "second 1/0 delivered @1m0s", "first 1/0 delivered @1m0s"})

	alone := newFixture(t, outbound.Config{})
	alone.d.Schedule(message("only", rc.URL), reorder)
	alone.advance(t, 0)
	if p := alone.clock.Pending(); len(p) != 1 || p[0].Name != `vendor sends held webhook "Created" for sub-only` {
		t.Fatalf("clock pending %+v, want the held send", p)
	}
	if p := alone.d.Pending(); len(p) != 1 || !p[0].Reorder {
		t.Fatalf("held %+v, want the reordered message", p)
	}
	alone.advance(t, time.Hour)
	sameStrings(t, "deliveries", alone.outcomes(), []string{"only 0/0 held @0s", "only 1/0 delivered @30m0s"})
}

// TestReceiverAdvancingTheClockDuringDelivery: the partner's receiver
// advances the clock while it handles the webhook (as a test harness
// does); the delivery completes at once, the receiver's follow-up fires,
// and the outer advance answers after all of it.
func TestReceiverAdvancingTheClockDuringDelivery(t *testing.T) {
	var f *fixture
	var followUp bool
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		f.clock.AfterFunc(time.Minute, "provision", func(context.Context) { followUp = true })
		f.clock.Advance(r.Context(), time.Hour)
	})
	f = newFixture(t, outbound.Config{Timeout: 30 * time.Second})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{Delay: 2 * time.Second})
	start := time.Now()
	f.advance(t, 2*time.Second)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the delivery took %s: it waited for its timeout", took)
	}
	if d := f.d.Deliveries(); len(d) != 1 || d[0].Outcome != outbound.OutcomeDelivered {
		t.Errorf("deliveries %+v, want one delivered", d)
	}
	if !followUp {
		t.Error("the receiver's follow-up did not fire")
	}
}

// TestResetMidDelivery: a reset while a request is in flight cancels it,
// and the attempt writes nothing into the state after the reset, nor
// hands an exchange to the journal the reset clears.
func TestResetMidDelivery(t *testing.T) {
	inFlight := make(chan struct{})
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		close(inFlight)
		<-r.Context().Done()
	})
	ex := &exchanges{}
	f := newFixture(t, outbound.Config{Timeout: time.Minute, Exchanged: ex.add})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{Copies: 1})
	done := make(chan struct{})
	go func() { f.clock.Advance(context.Background(), time.Hour); close(done) }()
	<-inFlight
	reset := make(chan struct{})
	go func() { f.clock.Quiesce(f.d.Reset); close(reset) }()
	for _, c := range []chan struct{}{reset, done} {
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			t.Fatal("the reset or the advance stalled")
		}
	}
	if d := f.d.Deliveries(); len(d) != 0 {
		t.Errorf("deliveries after the reset: %+v", d)
	}
	if x := ex.list(); len(x) != 0 {
		t.Errorf("exchanges after the reset (the reset clears the journal they are for): %+v", x)
	}
	if p := f.clock.Pending(); len(p) != 0 {
		t.Errorf("clock pending after the reset: %+v", p)
	}
}

// TestConcurrentSchedules: messages scheduled from many goroutines while
// the clock advances are each delivered once.
func TestConcurrentSchedules(t *testing.T) {
	rc := newReceiver(t, statuses(200))
	f := newFixture(t, outbound.Config{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.d.Schedule(message(fmt.Sprint(i), rc.URL), outbound.Plan{Delay: time.Duration(i) * time.Second})
			f.clock.Advance(context.Background(), time.Second)
			_ = f.d.Pending()
			_ = f.d.Deliveries()
		}()
	}
	wg.Wait()
	f.advance(t, time.Hour)
	seen := map[string]int{}
	for _, d := range f.d.Deliveries() {
		if d.Outcome != outbound.OutcomeDelivered {
			t.Errorf("delivery %+v", d)
		}
		seen[d.MessageID]++
	}
	if len(seen) != 20 || len(rc.requests()) != 20 {
		t.Errorf("%d messages delivered in %d requests, want 20 once each", len(seen), len(rc.requests()))
	}
}
