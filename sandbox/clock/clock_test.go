package clock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFrozenClockStandsStillUntilAdvanced(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	var fired []time.Time
	c.AfterFunc(2*time.Second, "callout", func(context.Context) { fired = append(fired, c.Now()) })

	if got := c.Now(); !got.Equal(epoch) {
		t.Fatalf("Now() = %v, want %v", got, epoch)
	}
	if n := c.Advance(context.Background(), time.Second); n != 0 || len(fired) != 0 {
		t.Fatalf("advancing 1s fired %d jobs, want none", n)
	}
	if n := c.Advance(context.Background(), 10*time.Minute); n != 1 {
		t.Fatalf("advancing past the job fired %d jobs, want 1", n)
	}
	if want := epoch.Add(2 * time.Second); !fired[0].Equal(want) {
		t.Errorf("job saw %v, want its own due time %v", fired[0], want)
	}
	if want := epoch.Add(10*time.Minute + time.Second); !c.Now().Equal(want) {
		t.Errorf("after advance Now() = %v, want %v", c.Now(), want)
	}
}

func TestAdvanceFiresInDueOrderIncludingJobsScheduledOnTheWay(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	var order []string
	record := func(name string) clock.Job {
		return func(context.Context) { order = append(order, name+"@"+c.Now().Sub(epoch).String()) }
	}
	c.AfterFunc(30*time.Minute, "b", record("b"))
	c.AfterFunc(10*time.Minute, "a", func(ctx context.Context) {
		record("a")(ctx)
		c.AfterFunc(30*time.Minute, "retry", record("retry")) // due at 40m
		c.AfterFunc(0, "now", record("now"))
	})
	c.AfterFunc(30*time.Minute, "b2", record("b2"))

	if n := c.Advance(context.Background(), time.Hour); n != 5 {
		t.Fatalf("fired %d jobs, want 5", n)
	}
	want := []string{"a@10m0s", "now@10m0s", "b@30m0s", "b2@30m0s", "retry@40m0s"}
	if len(order) != len(want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order = %v, want %v", order, want)
		}
	}
}

func TestStoppedAndClearedJobsNeverFire(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	fired := 0
	timer := c.AfterFunc(time.Second, "stopped", func(context.Context) { fired++ })
	if !timer.Stop() {
		t.Fatal("Stop() = false for a pending job")
	}
	if timer.Stop() {
		t.Fatal("second Stop() = true")
	}
	c.AfterFunc(time.Second, "cleared", func(context.Context) { fired++ })
	c.Clear()
	c.Advance(context.Background(), time.Hour)
	if fired != 0 || len(c.Pending()) != 0 {
		t.Fatalf("fired = %d, pending = %v; want nothing", fired, c.Pending())
	}
}

func TestRealClockRunFiresWhenWallTimeArrives(t *testing.T) {
	c := clock.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Run(ctx) }()

	done := make(chan time.Time, 1)
	start := c.Now()
	c.AfterFunc(20*time.Millisecond, "soon", func(context.Context) { done <- c.Now() })
	select {
	case at := <-done:
		if at.Sub(start) < 20*time.Millisecond {
			t.Errorf("job fired after %v, before it was due", at.Sub(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("job did not fire within 5s of real time")
	}
	cancel()
	wg.Wait()
}

func TestRealClockAdvanceMovesOffsetAndFiresAtOnce(t *testing.T) {
	wall := epoch
	c := clock.New(clock.WithWallClock(func() time.Time { return wall }))
	var saw time.Time
	c.AfterFunc(2*time.Hour, "later", func(context.Context) { saw = c.Now() })
	c.Advance(context.Background(), 3*time.Hour)
	if !saw.Equal(epoch.Add(2 * time.Hour)) {
		t.Errorf("job saw %v, want %v", saw, epoch.Add(2*time.Hour))
	}
	if c.Offset() != 3*time.Hour || !c.Now().Equal(epoch.Add(3*time.Hour)) {
		t.Errorf("offset = %v, now = %v; want 3h ahead", c.Offset(), c.Now())
	}
}

func TestConcurrentAdvanceAndScheduleIsRaceFree(t *testing.T) {
	c := clock.New(clock.WithFrozen(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	var mu sync.Mutex
	count := 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				c.AfterFunc(time.Duration(j)*time.Millisecond, "job", func(context.Context) { mu.Lock(); count++; mu.Unlock() })
				c.Advance(ctx, time.Millisecond)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	c.Advance(ctx, time.Hour)
	mu.Lock()
	defer mu.Unlock()
	if count != 400 {
		t.Fatalf("fired %d jobs, want 400", count)
	}
}
