// Package clock is the sandbox's single source of time. Every timestamp the
// sandbox writes and every delayed piece of work (a Zuora callout two seconds
// after an order, a retry thirty minutes after a failed delivery) goes through
// a Clock, so a test or the control API can move time forward and see a
// month-long lifecycle happen in milliseconds, in a deterministic order.
//
// A Clock runs in one of two modes. In real mode it reads the wall clock plus
// an offset, and its Run loop fires work as real time reaches it. In frozen
// mode time stands still until Advance moves it; only work that is already
// due (scheduled with no delay) fires by itself.
//
// Jobs run one at a time under the clock's firing lock. A job that waits
// on the outside world (an HTTP delivery to a partner's receiver) does
// that part through Outside, without the lock, so that a receiver that
// calls the sandbox back, even to advance the clock, is served at once;
// an Advance still answers only when every job due within it, and the
// work those jobs did outside, is finished.
package clock

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Mode says whether the clock follows the wall clock or stands still.
type Mode string

const (
	// ModeReal follows the wall clock plus an offset that Advance grows.
	ModeReal Mode = "real"
	// ModeFrozen stands still until Advance moves it.
	ModeFrozen Mode = "frozen"
)

// Job is work scheduled on the clock. It receives the context of whoever
// fires it (the Run loop or an Advance call), so shutdown cancels it.
type Job func(ctx context.Context)

// Clock is a virtual clock with a schedule of jobs. The zero value is not
// usable; build one with New.
type Clock struct {
	wall func() time.Time

	// fireMu serialises firing so that jobs run one at a time and in due
	// order, whether the Run loop or Advance fires them. A job gives it up
	// only for the work it does through Outside.
	fireMu sync.Mutex
	// quiescing counts Quiesce calls waiting for fireMu: while it is not
	// zero, every firing loop stops before its next job.
	quiescing atomic.Int32
	// advancing counts Advance calls in progress: while it is not zero
	// the Run loop leaves the firing to them, so the jobs an advance makes
	// due run one after another, in order, even while one of them works
	// Outside the lock, and the advance counts them as its own.
	advancing atomic.Int32

	// mu guards the fields below it.
	mu     sync.Mutex
	mode   Mode
	frozen time.Time     // the time in frozen mode
	offset time.Duration // added to the wall clock in real mode
	queue  jobQueue
	seq    uint64
	wake   chan struct{}
	// loops are the firing loops running now (several once a job works
	// Outside and a receiver advances the clock meanwhile); Quiesce
	// cancels every one, so it never waits for a slow job.
	loops map[*loop]struct{}
	// resets counts Quiesce calls; a job back from Outside, or a loop,
	// that sees it changed knows its state was reset under it.
	resets uint64
	// fired numbers jobs as they are taken off the queue; running holds
	// those not finished yet, and settled is closed (and replaced) each
	// time one finishes, for an Advance waiting on another loop's jobs.
	fired   uint64
	running map[*entry]struct{}
	settled chan struct{}
}

// Option configures a Clock.
type Option func(*Clock)

// WithFrozen starts the clock frozen at start (the wall clock's now if start
// is the zero time).
func WithFrozen(start time.Time) Option {
	return func(c *Clock) {
		c.mode = ModeFrozen
		c.frozen = start
	}
}

// WithOffset starts a real-mode clock this far ahead of the wall clock.
func WithOffset(d time.Duration) Option {
	return func(c *Clock) { c.offset = d }
}

// WithWallClock replaces the wall clock; tests use it to pin real mode.
func WithWallClock(now func() time.Time) Option {
	return func(c *Clock) { c.wall = now }
}

// New returns a clock in real mode unless an option says otherwise.
func New(opts ...Option) *Clock {
	c := &Clock{
		wall: time.Now, mode: ModeReal, wake: make(chan struct{}, 1),
		loops: map[*loop]struct{}{}, running: map[*entry]struct{}{}, settled: make(chan struct{}),
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.mode == ModeFrozen && c.frozen.IsZero() {
		c.frozen = c.wall()
	}
	return c
}

// Now is the sandbox's current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.mode == ModeFrozen {
		return c.frozen.UTC()
	}
	return c.wall().Add(c.offset).UTC()
}

// Mode reports whether the clock is real or frozen.
func (c *Clock) Mode() Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode
}

// Offset is how far the clock is ahead of the wall clock.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == ModeFrozen {
		return c.frozen.Sub(c.wall())
	}
	return c.offset
}

// Timer is a handle on a scheduled job.
type Timer struct {
	c   *Clock
	job *entry
}

// Stop cancels the job if it has not fired; it reports whether it did so.
func (t *Timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.job.index < 0 {
		return false
	}
	heap.Remove(&t.c.queue, t.job.index)
	return true
}

// AfterFunc schedules job to run once the clock reaches now+d. Jobs due at
// the same instant run in the order they were scheduled. name says what the
// job is, for the control API's listing of pending work.
func (c *Clock) AfterFunc(d time.Duration, name string, job Job) *Timer {
	c.mu.Lock()
	c.seq++
	e := &entry{due: clampDue(c.nowLocked(), d), seq: c.seq, name: name, job: job}
	heap.Push(&c.queue, e)
	c.mu.Unlock()
	c.poke()
	return &Timer{c: c, job: e}
}

// Pending lists the jobs not yet fired, soonest first.
func (c *Clock) Pending() []Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Pending, 0, len(c.queue))
	for _, e := range c.queue {
		out = append(out, Pending{Name: e.name, Due: e.due.UTC(), seq: e.seq})
	}
	sortPending(out)
	return out
}

// Jobs counts the jobs scheduled and not yet fired, and those fired
// since the clock was built (a reset clears the first, never the
// second), without listing them: for the sandbox's metrics.
func (c *Clock) Jobs() (pending int, fired uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue), c.fired
}

// Pending describes one scheduled job.
type Pending struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due"`
	seq  uint64
}

// Clear drops every scheduled job.
func (c *Clock) Clear() {
	c.mu.Lock()
	for _, e := range c.queue {
		e.index = -1
	}
	c.queue = nil
	c.mu.Unlock()
	c.poke()
}

// Advance moves the clock forward by d and fires, in due order, every job
// that falls due on the way, including jobs those jobs schedule. While a job
// runs the clock reads that job's due time, so timestamps written by the job
// are the ones it would have written had time passed normally. Advance
// returns how many jobs it fired once they all have. It is AdvanceBounded
// without a limit.
func (c *Clock) Advance(ctx context.Context, d time.Duration) int {
	return c.AdvanceBounded(ctx, d, 0).Fired
}

// Stop reasons of an Advance that did not reach its target.
const (
	// StopLimit: the advance fired as many jobs as it was allowed.
	StopLimit = "limit"
	// StopCancelled: the advance's context ended (its client went away).
	StopCancelled = "cancelled"
	// StopReset: a reset (Quiesce) interrupted the advance.
	StopReset = "reset"
)

// AdvanceReport says what one advance did.
type AdvanceReport struct {
	// Fired counts the jobs it ran.
	Fired int
	// Stopped is "" when the clock reached the target, else why it did
	// not (StopLimit, StopCancelled, StopReset). The clock then stands at
	// the due time of the last job fired, never past work not yet done.
	Stopped string
}

// AdvanceBounded is Advance that fires at most limit jobs (0: no limit)
// and stops before the next job once ctx ends or a reset starts, so that
// an advance over a huge backlog neither outlives its client nor holds up
// a reset. When it stops early the clock is not moved to the target: it
// reads the time of the last job fired, so nothing that fell due before
// it is skipped, and a new advance goes on from there.
//
// While one of its jobs works Outside the firing lock, another advance
// (a webhook receiver's, or another client's) may fire jobs that fell due
// inside this one; the Run loop leaves them to the advances. Before
// answering, the advance waits for those that started after it to finish
// and fires what they scheduled, so its answer still means "everything
// due is done". A job already working Outside when the advance starts is
// not waited for: the advance may well be its receiver's, which that job
// waits for. To fire work just scheduled and wait for it, use AdvanceAfter.
func (c *Clock) AdvanceBounded(ctx context.Context, d time.Duration, limit int) AdvanceReport {
	c.advancing.Add(1)
	defer c.poke() // after the count drops, so the Run loop goes on
	defer c.advancing.Add(-1)
	return c.advance(ctx, d, limit)
}

// AdvanceAfter runs schedule, then advances like AdvanceBounded unless
// schedule failed; the Run loop fires nothing in between, so the advance
// itself fires, and waits for, the work schedule made due (a held
// callout fired through the control API, whose answer must come after
// the delivery).
func (c *Clock) AdvanceAfter(ctx context.Context, schedule func() error, d time.Duration, limit int) (AdvanceReport, error) {
	c.advancing.Add(1)
	defer c.poke()
	defer c.advancing.Add(-1)
	if err := schedule(); err != nil {
		return AdvanceReport{}, err
	}
	return c.advance(ctx, d, limit), nil
}

// advance is AdvanceBounded's loop; the caller counts itself in
// c.advancing.
func (c *Clock) advance(ctx context.Context, d time.Duration, limit int) AdvanceReport {
	c.fireMu.Lock()
	ctx, l := c.startLoop(ctx)
	defer c.endLoop(l)
	defer c.fireMu.Unlock()

	c.mu.Lock()
	startOffset := c.offset
	target := c.nowLocked().Add(d)
	mark := c.fired
	c.mu.Unlock()
	// In real mode the wall clock moves while jobs run, so the limit is
	// where the clock will stand once the advance is done, recomputed each
	// time: work a job schedules "now" still falls inside the advance.
	// A receiver's own advance may have taken the clock past the target;
	// whatever is due by then is due now, and this advance fires it too.
	until := func() time.Time {
		end := target
		if c.Mode() != ModeFrozen {
			end = c.wall().Add(startOffset + d)
		}
		if now := c.Now(); now.After(end) {
			return now
		}
		return end
	}

	report := AdvanceReport{Stopped: c.interrupted(ctx, l)}
	for report.Stopped == "" {
		if limit > 0 && report.Fired >= limit && c.hasDue(until()) {
			report.Stopped = StopLimit
			break
		}
		if e := c.popDue(until(), true); e != nil {
			c.fire(ctx, e)
			report.Fired++
		} else if !c.awaitOthers(ctx, mark, until()) {
			break
		}
		report.Stopped = c.interrupted(ctx, l)
	}
	if report.Stopped == "" {
		c.moveTo(target, startOffset+d)
	}
	return report
}

// moveTo puts the clock at target (frozen) or offset (real), never back.
func (c *Clock) moveTo(target time.Time, offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == ModeFrozen {
		if target.After(c.frozen) {
			c.frozen = target
		}
	} else if offset > c.offset {
		c.offset = offset
	}
}

// hasDue reports whether a job is due at or before limit.
func (c *Clock) hasDue(limit time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) > 0 && !c.queue[0].due.After(limit)
}

// DueBy counts the jobs due at or before t, for a report on what an
// interrupted advance left.
func (c *Clock) DueBy(t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.queue {
		if !e.due.After(t) {
			n++
		}
	}
	return n
}

// popDue removes and returns the earliest job due at or before limit, or
// nil; the job counts as running until fire has run it.
// When pin is set, the clock is moved to the job's due time first (never
// backwards), which is how Advance makes jobs see their own time.
func (c *Clock) popDue(limit time.Time, pin bool) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 || c.queue[0].due.After(limit) {
		return nil
	}
	// The Run loop (which does not pin) leaves jobs to a running advance.
	// Checked under mu, which AfterFunc takes too: a job AdvanceAfter's
	// schedule adds is never taken by the Run loop.
	if !pin && c.advancing.Load() > 0 {
		return nil
	}
	e := heap.Pop(&c.queue).(*entry)
	c.fired++
	e.fired = c.fired
	c.running[e] = struct{}{}
	if pin {
		if now := c.nowLocked(); e.due.After(now) {
			if c.mode == ModeFrozen {
				c.frozen = e.due
			} else {
				c.offset += e.due.Sub(now)
			}
		}
	}
	return e
}

// Run fires jobs as they fall due until ctx ends. In frozen mode only jobs
// scheduled with no delay fall due without Advance.
func (c *Clock) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.fireDue(ctx)
		wait, ok := c.untilNext()
		if !ok {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-timer.C:
		}
	}
}

func (c *Clock) fireDue(ctx context.Context) {
	c.fireMu.Lock()
	ctx, l := c.startLoop(ctx)
	defer c.endLoop(l)
	defer c.fireMu.Unlock()
	for c.interrupted(ctx, l) == "" {
		e := c.popDue(c.Now(), false)
		if e == nil {
			return
		}
		c.fire(ctx, e)
	}
}

// untilNext is the wall-clock wait before the next job falls due; ok is
// false when nothing can fall due without Advance.
func (c *Clock) untilNext() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return 0, false
	}
	wait := c.queue[0].due.Sub(c.nowLocked())
	if wait <= 0 {
		return 0, true
	}
	if c.mode == ModeFrozen {
		return 0, false
	}
	return wait, true
}

func (c *Clock) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
