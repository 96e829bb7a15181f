package clock

import (
	"errors"
	"fmt"
	"time"
)

// Latest is the furthest the sandbox clock may be set or advanced to.
// Times are written as RFC 3339, which ends with the year 9999; everything
// the sandbox derives from the clock (token expiry, Zuora's retries,
// scripted delays of up to a year, fault windows) lies less than a
// millennium after it, so capping the clock here keeps every timestamp it
// writes representable. Past 9999 Go's time.Time no longer marshals as
// JSON and every answer carrying a time would break.
var Latest = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// lastRepresentable is the last instant RFC 3339 can write; a job due
// later (only possible near Latest with a huge delay) is due then instead.
var lastRepresentable = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// ErrOutOfRange means a clock setting or advance would leave the range of
// times the sandbox can represent.
var ErrOutOfRange = errors.New("the sandbox clock cannot go past " + Latest.Format(time.RFC3339))

// CheckTime refuses a time after Latest, as a clock setting or the target
// of an advance.
func CheckTime(t time.Time) error {
	if t.After(Latest) {
		return fmt.Errorf("%s: %w", t.UTC().Format(time.RFC3339Nano), ErrOutOfRange)
	}
	return nil
}

// CheckAdvance refuses an advance by d from now that would pass Latest.
func (c *Clock) CheckAdvance(d time.Duration) error {
	now := c.Now()
	if d > Latest.Sub(now) {
		return fmt.Errorf("advancing %s from %s: %w", d, now.Format(time.RFC3339), ErrOutOfRange)
	}
	return nil
}

// clampDue is now+d, but never past the last representable instant, nor
// wrapped round by an overflowing d.
func clampDue(now time.Time, d time.Duration) time.Time {
	if d > lastRepresentable.Sub(now) {
		return lastRepresentable
	}
	return now.Add(d)
}
