package outbound_test

import (
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// TestCountsSurviveAReset: the counts by outcome are what the sandbox's
// metrics read, so a reset, which forgets the deliveries, keeps them.
func TestCountsSurviveAReset(t *testing.T) {
	rc := newReceiver(t, statuses(500, 200))
	f := newFixture(t, outbound.Config{Schedule: outbound.Schedule{Attempts: 3, Interval: time.Minute}})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.d.Schedule(message("gone", rc.URL), outbound.Plan{Drop: outbound.Cause{Why: "a script", Script: "s1"}})
	f.advance(t, 2*time.Minute)
	f.d.Reset()
	want := map[string]uint64{outbound.OutcomeRetrying: 1, outbound.OutcomeDelivered: 1, outbound.OutcomeDropped: 1}
	for _, outcome := range append(outbound.Outcomes, "no such outcome") {
		if got := f.d.Count(outcome); got != want[outcome] {
			t.Errorf("Count(%q) = %d, want %d", outcome, got, want[outcome])
		}
	}
	if n := len(f.d.Deliveries()); n != 0 {
		t.Errorf("%d deliveries kept after the reset", n)
	}
}
