package conformance_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// TestConformance runs the scenario library as a Ginkgo suite. By default
// the target is our sandbox, started in-process with a frozen clock;
// CONFORMANCE_TARGET (and the other CONFORMANCE_* variables) point it at
// any other implementation instead.
func TestConformance(t *testing.T) {
	url := os.Getenv("CONFORMANCE_TARGET")
	if url == "" {
		url = sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{})).URL
	}
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatalf("scenarios:\n%v", err)
	}
	suite, _ := ginkgo.GinkgoConfiguration()
	if err := scenario.CheckLabelFilter(suite.LabelFilter, lib.Labels()); err != nil {
		t.Fatalf("-ginkgo.label-filter: %v", err)
	}
	runner := newRunner(t, url, lib)
	conformance.Describe("Marketplace API conformance", lib.Scenarios, runner)
	conformance.FailIfNothingChecked()
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "Conformance")
}

func newRunner(t *testing.T, url string, lib *scenario.Library) *engine.Runner {
	t.Helper()
	ctx := context.Background()
	client := engine.DefaultHTTPClient(10 * time.Second)
	if err := target.Probe(ctx, client, url, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := target.CheckEnv(os.Environ()); err != nil {
		t.Fatal(err)
	}
	cfg, err := target.Config{URL: url}.ApplyEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = target.Discover(ctx, client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := cfg.Resolve(target.APIsOf(cfg)...)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := engine.NewReceiver("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	runner, err := engine.New(tgt, lib, engine.WithHTTPClient(client), engine.WithReceiver(rc))
	if err != nil {
		t.Fatal(err)
	}
	return runner
}
