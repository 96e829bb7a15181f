// Package conformance certifies implementations of a marketplace API
// against written requirements. The work is done by plain Go packages —
// scenario (the YAML format), engine (running it over HTTP), report
// (JUnit, JSON, HTML) — and this package is the thin Ginkgo shell that
// turns each scenario into one spec, so the library runs under `go test`,
// the ginkgo CLI, or inside a partner's own Ginkgo suite.
package conformance

import (
	"fmt"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// Describe declares one spec per scenario under a container named title.
// Call it before RunSpecs (Ginkgo builds its tree first), with scenarios
// already loaded and validated. Labels (plus cap:<name> for each needed
// capability) become Ginkgo labels, so --ginkgo.label-filter selects
// scenarios like the conformance command's --label-filter. Scenarios that
// need a capability of our sandbox are Serial: they move the target's
// clock, reset it, inject faults, script its back office or seed its
// fault randomness, all of which change what every other scenario sees.
func Describe(title string, scenarios []scenario.Scenario, runner *engine.Runner) bool {
	return ginkgo.Describe(title, func() {
		for _, sc := range scenarios {
			args := []any{ginkgo.Label(sc.AllLabels()...)}
			if len(sc.Needs) > 0 {
				args = append(args, ginkgo.Serial)
			}
			args = append(args, func(ctx ginkgo.SpecContext) { runSpec(ctx, runner, sc) })
			ginkgo.It(sc.ID+": "+sc.Title, args...)
		}
	})
}

// runSpec runs one scenario and maps its outcome onto Ginkgo's: a skip
// carries the missing capability, a failure or error the scenario id, the
// requirement and every unmet expectation.
func runSpec(ctx ginkgo.SpecContext, runner *engine.Runner, sc scenario.Scenario) {
	res := runner.Run(ctx, sc)
	ginkgo.AddReportEntry("requirement", sc.Requirement)
	if res.Outcome != engine.Pass && res.Outcome != engine.Skip {
		ginkgo.AddReportEntry("transcript", report.Transcript(res), ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
	switch res.Outcome {
	case engine.Skip:
		ginkgo.Skip(res.Message())
	case engine.Fail, engine.Error:
		ginkgo.Fail(res.Message())
	}
}

// FailIfNothingChecked makes a suite fail when no scenario spec ran, or
// when every one that ran was skipped: a label filter or focus that
// matches nothing, or a target whose capabilities were all missing,
// would otherwise leave Ginkgo reporting success having checked nothing.
// Call it beside Describe, before RunSpecs.
func FailIfNothingChecked() bool {
	return ginkgo.ReportAfterSuite("conformance: at least one scenario was checked", func(r ginkgo.Report) {
		ran, skipped := 0, 0
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt {
				continue
			}
			switch sr.State {
			case types.SpecStatePending:
			case types.SpecStateSkipped:
				ran++
				skipped++
			default:
				ran++
			}
		}
		switch {
		case r.PreRunStats.SpecsThatWillRun == 0:
			ginkgo.Fail("no scenario spec was selected (check -ginkgo.label-filter and -ginkgo.focus): nothing was checked")
		case ran > 0 && ran == skipped:
			ginkgo.Fail(fmt.Sprintf("all %d selected scenarios were skipped: nothing was checked", ran))
		}
	})
}
