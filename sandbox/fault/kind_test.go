package fault

import (
	"testing"
	"time"
)

// TestKindLeavesOutTheLatencyDrawn: the metrics label a firing by its
// effect's kind, so that a rule with a drawn latency is one series, not
// one per delay.
func TestKindLeavesOutTheLatencyDrawn(t *testing.T) {
	fixed := Duration(120 * time.Millisecond)
	latency := &Latency{Fixed: &fixed}
	cases := []struct {
		name     string
		decision Decision
		want     string
	}{
		{"a status", Decision{Effect: Effect{Status: 503}}, "status 503"},
		{"a latency", Decision{Effect: Effect{Latency: latency}, Delay: 87 * time.Millisecond}, "latency"},
		{"a latency before a status", Decision{Effect: Effect{Latency: latency, Status: 429}, Delay: time.Second}, "latency + status 429"},
		{"a broken transport", Decision{Effect: Effect{Transport: Reset}}, "reset"},
		{"a latency before a hang", Decision{Effect: Effect{Latency: latency, Transport: Hang}, Delay: time.Millisecond}, "latency + hang"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Kind(c.decision); got != c.want {
				t.Errorf("Kind = %q, want %q (Describe: %q)", got, c.want, Describe(c.decision))
			}
		})
	}
}
