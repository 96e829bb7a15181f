package subscription

import (
	"fmt"
	"time"
)

// months is the length of each term unit (docs/microsoft.md §3).
var months = map[string]int{"P1M": 1, "P1Y": 12, "P2Y": 24, "P3Y": 36, "P4Y": 48, "P5Y": 60}

// ValidTermUnit reports whether u is a term unit the marketplace sells.
func ValidTermUnit(u string) bool { _, ok := months[u]; return ok }

// startOfDay is t's day at 00:00 UTC: Microsoft's terms run in whole days.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AddMonths moves t by n calendar months, keeping the day of the month
// where the target month has it and the month's last day where it does
// not (31 January + 1 month is 28 or 29 February, not 2 or 3 March).
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// termFrom is the term of unit that starts on start's day: it ends on the
// day before the same day unit later (a P1M term from 7 March ends on 6
// April, the next one starts 7 April).
func termFrom(start time.Time, unit string) (Term, error) {
	n, ok := months[unit]
	if !ok {
		return Term{}, fmt.Errorf("unknown term unit %q", unit)
	}
	s := startOfDay(start)
	e := AddMonths(s, n).AddDate(0, 0, -1)
	return Term{StartDate: &s, EndDate: &e, TermUnit: unit, ChargeDuration: unit}, nil
}
