package clock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// within fails the test unless done is closed within a few seconds: the
// operations under test answer at once, a stall is the bug.
func within(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s stalled", what)
	}
}

// TestReceiverAdvancingTheClockDuringADelivery is the bug Outside fixes: a
// webhook receiver that advances the clock while it handles the delivery
// gets its answer at once, the jobs its advance makes due fire, and the
// outer advance answers only after the delivery and what followed it.
func TestReceiverAdvancingTheClockDuringADelivery(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	var order []string
	c.AfterFunc(2*time.Second, "callout", func(ctx context.Context) {
		order = append(order, "callout@"+c.Now().Sub(epoch).String())
		err := c.Outside(ctx, func() {
			// The receiver: schedules provisioning, then advances.
			c.AfterFunc(time.Minute, "provision", func(context.Context) {
				order = append(order, "provision@"+c.Now().Sub(epoch).String())
			})
			c.Advance(context.Background(), time.Hour)
		})
		if err != nil {
			t.Errorf("Outside: %v", err)
		}
		order = append(order, "callout done@"+c.Now().Sub(epoch).String())
	})
	done := make(chan struct{})
	var fired int
	go func() { fired = c.Advance(context.Background(), 3*time.Second); close(done) }()
	within(t, done, "the advance around a receiver's advance")
	want := []string{"callout@2s", "provision@1m2s", "callout done@1h0m2s"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Errorf("order %v, want %v", order, want)
			break
		}
	}
	if fired != 1 {
		t.Errorf("the outer advance fired %d jobs, want its own 1", fired)
	}
	if want := epoch.Add(time.Hour + 2*time.Second); !c.Now().Equal(want) {
		t.Errorf("clock at %v, want %v (never back to the outer target)", c.Now(), want)
	}
}

// TestAdvanceFiresWhatFellDueAfterTheReceiversAdvance: the receiver
// advances the clock past the outer advance's target, then (handing the
// delivery on) schedules work due at once; the outer advance fires it
// before answering, not the Run loop after.
func TestAdvanceFiresWhatFellDueAfterTheReceiversAdvance(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	var provisioned atomic.Bool
	c.AfterFunc(2*time.Second, "callout", func(ctx context.Context) {
		_ = c.Outside(ctx, func() {
			c.Advance(context.Background(), time.Minute)
			c.AfterFunc(0, "provision", func(context.Context) { provisioned.Store(true) })
		})
	})
	if n := c.Advance(context.Background(), 3*time.Second); n != 2 || !provisioned.Load() {
		t.Errorf("fired %d, provisioned %v; want 2 and the follow-up done", n, provisioned.Load())
	}
}

// TestJobSeesItsDueTimeAroundOutsideWork: outside work alone does not move
// the clock; the job reads its own due time before and after it.
func TestJobSeesItsDueTimeAroundOutsideWork(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	var before, after time.Time
	c.AfterFunc(time.Minute, "delivery", func(ctx context.Context) {
		before = c.Now()
		_ = c.Outside(ctx, func() {})
		after = c.Now()
	})
	c.AfterFunc(2*time.Minute, "later", func(context.Context) {})
	if n := c.Advance(context.Background(), time.Hour); n != 2 {
		t.Fatalf("fired %d, want 2", n)
	}
	if want := epoch.Add(time.Minute); !before.Equal(want) || !after.Equal(want) {
		t.Errorf("job saw %v then %v, want %v both times", before, after, want)
	}
}

// TestAdvanceWaitsForJobsAnotherLoopFired: while the advance's job works
// outside, a second client's advance fires a job due inside the first;
// the first answers only once that job, too, is done.
func TestAdvanceWaitsForJobsAnotherLoopFired(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	otherStarted, release := make(chan struct{}), make(chan struct{})
	var otherDone atomic.Bool
	c.AfterFunc(time.Second, "delivery", func(ctx context.Context) {
		_ = c.Outside(ctx, func() {
			c.AfterFunc(0, "follow-up", func(ctx context.Context) {
				_ = c.Outside(ctx, func() { close(otherStarted); <-release })
				otherDone.Store(true)
			})
			go c.Advance(context.Background(), 0) // another client
			<-otherStarted                        // which has the follow-up, working outside
		})
	})
	done := make(chan struct{})
	go func() { c.Advance(context.Background(), time.Minute); close(done) }()
	select {
	case <-done:
		t.Fatal("the advance answered while a job due inside it was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	within(t, done, "the advance after the follow-up finished")
	if !otherDone.Load() {
		t.Error("the advance answered before the follow-up finished")
	}
}

// TestRunLoopLeavesAnAdvancesJobsToIt: the jobs a delivery's receiver
// schedules while an advance runs are fired by that advance, one after
// the other, not by the Run loop in parallel; the advance counts them.
func TestRunLoopLeavesAnAdvancesJobsToIt(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	var order []string
	step := func(name string) clock.Job {
		return func(ctx context.Context) {
			order = append(order, name+" sends")
			_ = c.Outside(ctx, func() {})
			order = append(order, name+" done")
		}
	}
	c.AfterFunc(time.Second, "delivery", func(ctx context.Context) {
		_ = c.Outside(ctx, func() {
			c.AfterFunc(0, "copy 1", step("copy 1"))
			c.AfterFunc(0, "copy 2", step("copy 2"))
		})
	})
	var fired int
	done := make(chan struct{})
	go func() { fired = c.Advance(context.Background(), time.Minute); close(done) }()
	within(t, done, "the advance")
	sameOrder := []string{"copy 1 sends", "copy 1 done", "copy 2 sends", "copy 2 done"}
	if fired != 3 || len(order) != len(sameOrder) {
		t.Fatalf("fired %d, order %v; want 3 and %v", fired, order, sameOrder)
	}
	for i := range sameOrder {
		if order[i] != sameOrder[i] {
			t.Fatalf("order %v, want %v", order, sameOrder)
		}
	}
}

// TestAdvanceAfterFiresWhatItScheduled: work scheduled with no delay by
// AdvanceAfter's schedule is fired by the advance, not the Run loop, so
// the advance answers after its outside work; a failing schedule
// advances nothing.
func TestAdvanceAfterFiresWhatItScheduled(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	for range 20 {
		var delivered atomic.Bool
		r, err := c.AdvanceAfter(context.Background(), func() error {
			c.AfterFunc(0, "fired delivery", func(ctx context.Context) {
				_ = c.Outside(ctx, func() {})
				delivered.Store(true)
			})
			return nil
		}, 0, 10)
		if err != nil || r.Fired != 1 || !delivered.Load() {
			t.Fatalf("report %+v, %v, delivered %v; want the delivery fired and done", r, err, delivered.Load())
		}
	}
	c.AfterFunc(time.Second, "later", func(context.Context) { t.Error("advanced after a failed schedule") })
	if _, err := c.AdvanceAfter(context.Background(), func() error { return errors.New("not held") }, time.Hour, 0); err == nil {
		t.Error("the schedule's error was not returned")
	}
}

// TestResetDuringOutsideWork: a reset while a job works outside does not
// wait for it; the job learns through ErrReset that it must write
// nothing, and the advance that fired it stops, reporting the reset.
func TestResetDuringOutsideWork(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	started := make(chan struct{})
	var outsideErr error
	c.AfterFunc(time.Second, "delivery", func(ctx context.Context) {
		outsideErr = c.Outside(ctx, func() {
			close(started)
			<-ctx.Done() // the request in flight is abandoned
		})
	})
	c.AfterFunc(2*time.Second, "after it", func(context.Context) { t.Error("a job after the reset fired") })
	advanced := make(chan clock.AdvanceReport, 1)
	go func() { advanced <- c.AdvanceBounded(context.Background(), time.Hour, 0) }()
	<-started
	quiesced := make(chan struct{})
	go func() { c.Quiesce(func() {}); close(quiesced) }()
	within(t, quiesced, "Quiesce during outside work")
	r := <-advanced
	if r.Stopped != clock.StopReset || r.Fired != 1 {
		t.Errorf("advance report %+v, want stopped by the reset after 1 job", r)
	}
	if !errors.Is(outsideErr, clock.ErrReset) {
		t.Errorf("Outside = %v, want ErrReset", outsideErr)
	}
}

// TestReceiverResettingDuringADelivery: the receiver itself asks for the
// reset while handling the delivery; nothing deadlocks.
func TestReceiverResettingDuringADelivery(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	var outsideErr error
	c.AfterFunc(time.Second, "delivery", func(ctx context.Context) {
		outsideErr = c.Outside(ctx, func() { c.Quiesce(func() {}) })
	})
	done := make(chan struct{})
	go func() { c.Advance(context.Background(), time.Minute); close(done) }()
	within(t, done, "an advance whose receiver reset the sandbox")
	if !errors.Is(outsideErr, clock.ErrReset) {
		t.Errorf("Outside = %v, want ErrReset", outsideErr)
	}
}

// TestQuiesceCancelsEveryNestedLoop: with a receiver's advance running
// inside the outer advance's delivery, a reset cancels both loops' jobs.
func TestQuiesceCancelsEveryNestedLoop(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	innerStarted := make(chan struct{})
	var inner clock.AdvanceReport
	c.AfterFunc(time.Second, "outer delivery", func(ctx context.Context) {
		_ = c.Outside(ctx, func() {
			c.AfterFunc(time.Minute, "inner delivery", func(ctx context.Context) {
				close(innerStarted)
				<-ctx.Done() // only a reset ends it
			})
			inner = c.AdvanceBounded(context.Background(), time.Hour, 0)
		})
	})
	outer := make(chan clock.AdvanceReport, 1)
	go func() { outer <- c.AdvanceBounded(context.Background(), time.Minute, 0) }()
	<-innerStarted
	quiesced := make(chan struct{})
	go func() { c.Quiesce(func() {}); close(quiesced) }()
	within(t, quiesced, "Quiesce with nested loops")
	if r := <-outer; r.Stopped != clock.StopReset {
		t.Errorf("outer report %+v, want stopped by the reset", r)
	}
	if inner.Stopped != clock.StopReset {
		t.Errorf("inner report %+v, want stopped by the reset", inner)
	}
}

// TestOutsideWithoutAFiringLoopJustRuns: a job called directly (as a unit
// test of the job might) runs its outside work in place.
func TestOutsideWithoutAFiringLoopJustRuns(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ran := false
	if err := c.Outside(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("Outside = %v, ran %v; want nil and ran", err, ran)
	}
}

// TestRunLoopReleasesTheLockForOutsideWork: in real mode the Run loop
// fires a delivery due now, and its receiver's advance is not blocked.
func TestRunLoopReleasesTheLockForOutsideWork(t *testing.T) {
	c := clock.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	done := make(chan struct{})
	var provisioned atomic.Bool
	c.AfterFunc(0, "delivery", func(ctx context.Context) {
		_ = c.Outside(ctx, func() {
			c.AfterFunc(time.Hour, "provision", func(context.Context) { provisioned.Store(true) })
			c.Advance(context.Background(), 2*time.Hour)
		})
		close(done)
	})
	within(t, done, "the Run loop's delivery whose receiver advances")
	if !provisioned.Load() {
		t.Error("the receiver's advance did not fire the job it made due")
	}
}
