package sandbox

import (
	"bytes"
	"strings"
	"testing"
)

// TestEvictionsCountIntoTheOwnersMetrics: the hook the catalogue hands a
// marketplace's stores counts into the sandbox's series, and a session's
// sandbox counts into its opener's.
func TestEvictionsCountIntoTheOwnersMetrics(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Clock = "frozen"
	root, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	child, err := New(cfg, withMetrics(root.metrics))
	if err != nil {
		t.Fatal(err)
	}
	if child.ownsMetrics || !root.ownsMetrics {
		t.Fatalf("owns: root %v, child %v", root.ownsMetrics, child.ownsMetrics)
	}
	root.opts.evictions("gitlab")("orders", 2)
	child.opts.evictions("gitlab")("orders", 3)
	child.opts.evictions("microsoft")("usage_events", 0)
	var b bytes.Buffer
	root.metrics.WritePrometheus(&b)
	for _, want := range []string{
		`sandbox_records_evicted_total{marketplace="gitlab",kind="orders"} 5` + "\n",
		`sandbox_records_evicted_total{marketplace="microsoft",kind="usage_events"} 0` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the exposition lacks %q", want)
		}
	}
}
