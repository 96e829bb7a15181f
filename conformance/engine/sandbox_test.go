package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// TestFaultScenariosDetectDefects proves that the scenarios needing the
// sandbox's fault injection and scripts can fail: each runs against an
// in-process sandbox whose settings break the requirement it checks. (The
// fake portal has no fault injection, so TestLibraryDetectsDefects cannot
// cover them.)
func TestFaultScenariosDetectDefects(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*sandbox.Config)
		scenario string
		message  string
	}{
		{"magic values turned off", func(c *sandbox.Config) { c.GitLab.MagicValues = false },
			"fault-magic-values/zuora-decline-in-id", `json status: want "Failed", got "Provisioned"`},
		{"Zuora retries every 45 minutes", func(c *sandbox.Config) { c.GitLab.Zuora.CalloutRetryInterval = 45 * time.Minute },
			"fault-callout-retries", `json status: want "Provisioned", got "Created"`},
		{"a repeated create is refused", func(c *sandbox.Config) { c.GitLab.Duplicates = "reject" },
			"fault-create-retry/truncated", "status: want 201, got 409"},
	}
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}), sandboxtest.WithConfig(tt.change))
			cfg, err := target.Discover(context.Background(), engine.DefaultHTTPClient(10*time.Second), target.Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(cfg.Capabilities, target.CapabilityMagic) {
				// Discovery sees magic values are off and would skip the
				// scenario; a target that claims them anyway must fail it.
				cfg.Capabilities = append(cfg.Capabilities, target.CapabilityMagic)
			}
			tgt, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			r, err := engine.New(tgt, lib, engine.WithContract("gitlab", contract(t)))
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range lib.Scenarios {
				if sc.ID != tt.scenario {
					continue
				}
				res := r.Run(context.Background(), sc)
				if res.Outcome != engine.Fail || !strings.Contains(res.Message(), tt.message) {
					t.Fatalf("%s: outcome %s, want fail with %q:\n%s", sc.ID, res.Outcome, tt.message, res.Message())
				}
				return
			}
			t.Fatalf("no scenario %s", tt.scenario)
		})
	}
}
