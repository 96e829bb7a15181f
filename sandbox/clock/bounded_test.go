package clock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// TestQuiesceDoesNotWaitForAJobInFlight: a job blocked on slow I/O (a
// callout to a receiver that never answers) has its context cancelled by
// Quiesce, so a reset answers at once instead of waiting for the I/O.
func TestQuiesceDoesNotWaitForAJobInFlight(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	started := make(chan struct{})
	c.AfterFunc(time.Second, "callout in flight", func(ctx context.Context) {
		close(started)
		select {
		case <-ctx.Done():
		case <-time.After(time.Minute):
		}
	})
	c.AfterFunc(2*time.Second, "after it", func(context.Context) { t.Error("a job after the reset fired") })
	advanced := make(chan clock.AdvanceReport)
	go func() { advanced <- c.AdvanceBounded(context.Background(), time.Hour, 0) }()
	<-started
	quiesced := make(chan struct{})
	go func() { c.Quiesce(func() {}); close(quiesced) }()
	select {
	case <-quiesced:
	case <-time.After(5 * time.Second):
		t.Fatal("Quiesce waited for the job in flight")
	}
	if r := <-advanced; r.Stopped != clock.StopReset || r.Fired != 1 {
		t.Errorf("advance report %+v, want stopped by the reset after 1 job", r)
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("pending after Quiesce: %v", p)
	}
}

// TestAdvanceStopsWhenItsClientGoesAway: once its context ends, an advance
// fires no further job; the clock stands at the last job fired, and the
// rest stay pending for the next advance.
func TestAdvanceStopsWhenItsClientGoesAway(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fired atomic.Int32
	for i := range 1000 {
		c.AfterFunc(time.Duration(i+1)*time.Second, "job", func(context.Context) {
			if fired.Add(1) == 10 {
				cancel()
			}
		})
	}
	r := c.AdvanceBounded(ctx, time.Hour, 0)
	if r.Fired != 10 || r.Stopped != clock.StopCancelled {
		t.Fatalf("report %+v, want 10 jobs then cancelled", r)
	}
	if want := epoch.Add(10 * time.Second); !c.Now().Equal(want) {
		t.Errorf("clock at %v, want the last job's time %v", c.Now(), want)
	}
	if n := len(c.Pending()); n != 990 {
		t.Errorf("%d pending, want 990", n)
	}
	if n := c.Advance(context.Background(), time.Hour); n != 990 {
		t.Errorf("the next advance fired %d, want the 990 left", n)
	}
}

// TestAdvanceBoundedStopsAtTheLimit: an advance over a backlog fires at
// most limit jobs, and says so; an advance that fires exactly limit jobs
// and has nothing left is complete.
func TestAdvanceBoundedStopsAtTheLimit(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	for i := range 25 {
		c.AfterFunc(time.Duration(i)*time.Minute, "job", func(context.Context) {})
	}
	if r := c.AdvanceBounded(context.Background(), time.Hour, 10); r.Fired != 10 || r.Stopped != clock.StopLimit {
		t.Fatalf("report %+v, want 10 then the limit", r)
	}
	if want := epoch.Add(9 * time.Minute); !c.Now().Equal(want) {
		t.Errorf("clock at %v, want %v", c.Now(), want)
	}
	if got := c.DueBy(epoch.Add(time.Hour)); got != 15 {
		t.Errorf("DueBy = %d, want 15", got)
	}
	c.AdvanceBounded(context.Background(), time.Hour, 10)
	if r := c.AdvanceBounded(context.Background(), time.Hour, 5); r.Fired != 5 || r.Stopped != "" {
		t.Errorf("report %+v, want the last 5 and complete", r)
	}
}

// TestClockRangeEndsAtLatest: no advance or setting may pass clock.Latest,
// and a job scheduled beyond what RFC 3339 can write is due at its end, so
// every time the sandbox shows still marshals.
func TestClockRangeEndsAtLatest(t *testing.T) {
	c := clock.New(clock.WithFrozen(clock.Latest.Add(-time.Hour)))
	if err := c.CheckAdvance(time.Hour); err != nil {
		t.Errorf("advance to exactly Latest refused: %v", err)
	}
	if err := c.CheckAdvance(time.Hour + time.Nanosecond); !errors.Is(err, clock.ErrOutOfRange) {
		t.Errorf("advance past Latest: %v, want ErrOutOfRange", err)
	}
	for _, tm := range []time.Time{clock.Latest.Add(time.Second), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		if err := clock.CheckTime(tm); !errors.Is(err, clock.ErrOutOfRange) {
			t.Errorf("CheckTime(%v) = %v, want ErrOutOfRange", tm, err)
		}
	}
	c.AfterFunc(time.Duration(1<<63-1), "far", func(context.Context) {})
	for _, p := range c.Pending() {
		if _, err := p.Due.MarshalJSON(); err != nil {
			t.Errorf("a pending job's due time does not marshal: %v", err)
		}
	}
}
