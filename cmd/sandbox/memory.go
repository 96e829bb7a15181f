package main

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// liveHeapMetric is the heap the last collection found reachable.
const liveHeapMetric = "/gc/heap/live:bytes"

// softLimit is the Go memory limit for a configured memory_limit, the
// live heap and the collector's gc_percent: the configured limit while the
// live heap is small, so the process stays small under load (gc_percent
// 200 alone lets the heap grow to three times what is live), and the heap
// gc_percent asks for beyond that, so a sandbox holding many orders
// collects as usual instead of without pause against a limit it can never
// meet.
func softLimit(configured int64, live uint64, gcPercent int) int64 {
	if configured <= 0 || gcPercent < 0 {
		return math.MaxInt64
	}
	if live > math.MaxInt64/uint64(100+gcPercent) {
		return math.MaxInt64
	}
	return max(configured, int64(live)*int64(100+gcPercent)/100)
}

// governMemory keeps the runtime's soft memory limit at softLimit until
// ctx ends. It is the sandbox binary's own tuning, as gc_percent is; an
// embedding program keeps its own.
func governMemory(ctx context.Context, configured int64, gcPercent int, every time.Duration) {
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	apply := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(softLimit(configured, sample[0].Value.Uint64(), gcPercent))
		}
	}
	apply()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			apply()
		}
	}
}
