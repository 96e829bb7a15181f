package clock

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Firing and the lock. Jobs run one at a time under fireMu, which is what
// lets a job read and write the sandbox's state as of its own due time
// without racing the next job. A job that talks to the outside world (a
// Zuora callout, a Microsoft webhook) must not keep the lock for that
// part: the receiver may well call the sandbox back, and one that
// advances the clock (POST /_sandbox/clock/advance) while handling the
// delivery would wait for the lock the delivery holds until the delivery
// timed out. Outside gives the lock up for such work and takes it back.
//
// Giving up the lock means other firing loops can run meanwhile: the Run
// loop, or the receiver's own nested advance. Several loops may therefore
// be running at once (each has its own context, and Quiesce cancels them
// all), and an advance may find that a job due inside it was fired by
// another loop and is still working; it waits for such jobs before it
// answers (see AdvanceBounded).

// ErrReset is what Outside returns when a reset (Quiesce) happened while
// the job worked outside the firing lock: the state the job was about to
// write into is gone, and the job must write nothing.
var ErrReset = errors.New("clock: the sandbox was reset while the job worked outside the firing lock")

// loop is one firing loop: an Advance or a pass of the Run loop.
type loop struct {
	// resets is the clock's reset count when the loop started.
	resets uint64
	cancel context.CancelFunc
	// outside is set while the loop's job works Outside.
	outside atomic.Bool
}

type loopKey struct{}

// startLoop registers a firing loop and derives the context its jobs run
// with, which Quiesce can cancel. The caller holds fireMu.
func (c *Clock) startLoop(ctx context.Context) (context.Context, *loop) {
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	l := &loop{resets: c.resets, cancel: cancel}
	c.loops[l] = struct{}{}
	c.mu.Unlock()
	return context.WithValue(ctx, loopKey{}, l), l
}

func (c *Clock) endLoop(l *loop) {
	c.mu.Lock()
	delete(c.loops, l)
	c.mu.Unlock()
	l.cancel()
}

// interrupted says why a firing loop must stop before its next job, or "".
func (c *Clock) interrupted(ctx context.Context, l *loop) string {
	c.mu.Lock()
	reset := c.resets != l.resets
	c.mu.Unlock()
	switch {
	case reset || c.quiescing.Load() > 0:
		return StopReset
	case ctx.Err() != nil:
		return StopCancelled
	}
	return ""
}

// Quiesce runs f while no job is firing and none can start, then drops
// every scheduled job; the sandbox's reset uses it so that no job from
// before the reset writes into the state after it. It does not wait for
// work in progress to finish on its own: every firing loop has its
// context cancelled (a callout in flight is abandoned) and stops before
// its next job, so Quiesce waits at most for one job to notice its
// cancelled context. A job working Outside the lock is not waited for at
// all (its receiver may be the one asking for the reset): Outside tells it
// afterwards, with ErrReset, that it must write nothing.
func (c *Clock) Quiesce(f func()) {
	c.quiescing.Add(1)
	defer c.quiescing.Add(-1)
	c.mu.Lock()
	for l := range c.loops {
		l.cancel()
	}
	c.mu.Unlock()
	c.fireMu.Lock()
	defer c.fireMu.Unlock()
	c.mu.Lock()
	c.resets++
	c.mu.Unlock()
	f()
	c.Clear()
}

// Outside runs f without the firing lock, for the part of a job that
// waits on the outside world, and takes the lock back before it returns.
// ctx must be the context the job was fired with, and Outside must be
// called from the job's own goroutine while the job runs; with any other
// context (a test calling a job directly) it just runs f.
//
// While f runs, other jobs may fire, and a receiver may advance the
// clock: the job then reads the later time once f returns, as it would
// in real life. Whoever fired the job still waits for it, so an Advance
// answers only once the outside work, and what the job does after it, is
// done. If the sandbox was reset while f ran, Outside returns ErrReset:
// the job must then leave the state alone (f's context was cancelled by
// the reset, so f itself ends promptly).
func (c *Clock) Outside(ctx context.Context, f func()) error {
	l, _ := ctx.Value(loopKey{}).(*loop)
	if l == nil || !c.owns(l) || !l.outside.CompareAndSwap(false, true) {
		f()
		return nil
	}
	defer l.outside.Store(false)
	c.mu.Lock()
	resets := c.resets
	c.mu.Unlock()
	c.fireMu.Unlock()
	func() {
		// Re-acquire even if f panics, so the firing loop's own unlock
		// stays balanced.
		defer c.fireMu.Lock()
		f()
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resets != resets {
		return ErrReset
	}
	return nil
}

// owns reports whether l is a firing loop of this clock running now.
func (c *Clock) owns(l *loop) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.loops[l]
	return ok
}

// fire runs a job taken off the queue by popDue and marks it finished.
func (c *Clock) fire(ctx context.Context, e *entry) {
	defer func() {
		c.mu.Lock()
		delete(c.running, e)
		close(c.settled)
		c.settled = make(chan struct{})
		c.mu.Unlock()
	}()
	e.job(ctx)
}

// awaitOthers waits, without the firing lock, until no job that another
// loop took off the queue after mark and that is due by limit is still
// running. It reports whether there was any to wait for; it gives up once
// ctx ends (a reset cancels it too). The caller holds fireMu.
func (c *Clock) awaitOthers(ctx context.Context, mark uint64, limit time.Time) bool {
	waited := false
	for {
		c.mu.Lock()
		busy := false
		for e := range c.running {
			if e.fired > mark && !e.due.After(limit) {
				busy = true
				break
			}
		}
		settled := c.settled
		c.mu.Unlock()
		if !busy {
			return waited
		}
		waited = true
		c.fireMu.Unlock()
		select {
		case <-settled:
		case <-ctx.Done():
		}
		c.fireMu.Lock()
		if ctx.Err() != nil {
			return true
		}
	}
}
