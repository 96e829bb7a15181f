package main

import (
	"math"
	"testing"
)

func TestSoftLimitFollowsTheLiveHeapPastTheConfiguredLimit(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name       string
		configured int64
		live       uint64
		gcPercent  int
		want       int64
	}{
		{"off", 0, 100 * mib, 200, math.MaxInt64},
		{"collector off", 28 * mib, 100 * mib, -1, math.MaxInt64},
		{"small heap: the configured limit", 28 * mib, 5 * mib, 200, 28 * mib},
		{"live heap at a third of the limit", 28 * mib, 9 * mib, 200, 28 * mib},
		{"large heap: what gc_percent 200 asks", 28 * mib, 300 * mib, 200, 900 * mib},
		{"large heap: what gc_percent 100 asks", 28 * mib, 300 * mib, 100, 600 * mib},
		{"no overflow", 28 * mib, math.MaxUint64 / 2, 200, math.MaxInt64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := softLimit(tc.configured, tc.live, tc.gcPercent); got != tc.want {
				t.Errorf("softLimit(%d, %d, %d) = %d, want %d", tc.configured, tc.live, tc.gcPercent, got, tc.want)
			}
		})
	}
}
