package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// suiteName titles reports.
const suiteName = "GitLab Marketplace API conformance"

// run is the whole command; main only maps its error to an exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	selected, lib, err := loadScenarios(o)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if o.list {
		printList(stdout, selected)
		return nil
	}
	cfg, err := loadConfig(o, getenv)
	if err != nil {
		return withCode(exitUsage, err)
	}
	client := engine.DefaultHTTPClient(o.timeout)
	if err := target.WaitReady(ctx, client, cfg.URL, o.wait, o.probeTimeout); err != nil {
		return withCode(exitUnreachable, err)
	}
	if cfg, err = target.Discover(ctx, client, cfg); err != nil {
		return withCode(exitUnreachable, err)
	}
	tgt, err := cfg.Resolve()
	if err != nil {
		return withCode(exitUsage, err)
	}
	runner, err := engine.New(tgt, lib, engine.WithHTTPClient(client))
	if err != nil {
		return withCode(exitUsage, err)
	}
	result := execute(ctx, runner, selected, tgt, progress(stdout, o.quiet))
	if err := writeReports(o, result); err != nil {
		return withCode(exitUsage, err)
	}
	printSummary(stdout, result)
	return verdict(result)
}

// loadScenarios loads the library (embedded or --scenarios) and applies
// the label filter.
func loadScenarios(o options) ([]scenario.Scenario, *scenario.Library, error) {
	var fsys fs.FS = scenarios.FS
	root := "scenarios"
	if o.scenariosDir != "" {
		fsys, root = os.DirFS(o.scenariosDir), o.scenariosDir
	}
	lib, err := scenario.Load(fsys, root)
	if err != nil {
		return nil, nil, err
	}
	filter, err := types.ParseLabelFilter(o.labelFilter)
	if err != nil {
		return nil, nil, fmt.Errorf("--label-filter: %w", err)
	}
	var selected []scenario.Scenario
	for _, sc := range lib.Scenarios {
		if filter(sc.AllLabels()) {
			selected = append(selected, sc)
		}
	}
	if len(selected) == 0 {
		return nil, nil, fmt.Errorf("no scenario matches --label-filter %q", o.labelFilter)
	}
	return selected, lib, nil
}

// execute runs the scenarios one after another: they share the target, and
// some move its clock.
func execute(ctx context.Context, runner *engine.Runner, selected []scenario.Scenario, tgt target.Target, each func(engine.Result)) report.Run {
	r := report.Run{Suite: suiteName, Target: tgt.BaseURL.String(), Started: time.Now()}
	for _, sc := range selected {
		res := runner.Run(ctx, sc)
		each(res)
		r.Results = append(r.Results, res)
		if ctx.Err() != nil {
			break
		}
	}
	r.Duration = time.Since(r.Started)
	return r
}

// verdict maps the outcomes to the exit code: unreachable beats scenario
// errors, which beat failures.
func verdict(r report.Run) error {
	var targetErr, scenarioErr bool
	for _, res := range r.Results {
		if res.Outcome == engine.Error {
			targetErr = targetErr || res.ErrorKind == engine.TargetError
			scenarioErr = scenarioErr || res.ErrorKind == engine.ScenarioError
		}
	}
	s := r.Summary()
	switch {
	case targetErr:
		return withCode(exitUnreachable, errors.New("the target stopped answering during the run"))
	case scenarioErr:
		return withCode(exitUsage, errors.New("some scenarios could not run"))
	case s.Failed > 0:
		return withCode(exitFail, fmt.Errorf("%d of %d scenarios failed", s.Failed, s.Total))
	}
	return nil
}

func writeReports(o options, r report.Run) error {
	writers := []struct {
		path  string
		write func(io.Writer, report.Run) error
	}{{o.junit, report.WriteJUnit}, {o.json, report.WriteJSON}, {o.html, report.WriteHTML}}
	for _, w := range writers {
		if w.path == "" {
			continue
		}
		f, err := os.Create(w.path)
		if err != nil {
			return err
		}
		err = w.write(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", w.path, err)
		}
	}
	return nil
}

// progress prints one line per scenario, and the failure text of those
// that did not pass.
func progress(w io.Writer, quiet bool) func(engine.Result) {
	return func(res engine.Result) {
		if quiet && (res.Outcome == engine.Pass || res.Outcome == engine.Skip) {
			return
		}
		fmt.Fprintf(w, "%-5s %s (%s)\n", strings.ToUpper(string(res.Outcome)), res.ScenarioID, res.Duration.Round(time.Millisecond))
		if res.Outcome == engine.Fail || res.Outcome == engine.Error || res.Outcome == engine.Skip {
			fmt.Fprintln(w, indent(res.Message(), "      "))
		}
	}
}

func printSummary(w io.Writer, r report.Run) {
	s := r.Summary()
	fmt.Fprintf(w, "\n%d scenarios: %d passed, %d failed, %d skipped, %d errors in %s\n",
		s.Total, s.Passed, s.Failed, s.Skipped, s.Errors, r.Duration.Round(time.Millisecond))
}

// printList prints each scenario's id, labels and requirement.
func printList(w io.Writer, selected []scenario.Scenario) {
	for _, sc := range selected {
		fmt.Fprintf(w, "%s  [%s]\n    %s\n", sc.ID, strings.Join(sc.AllLabels(), ", "), sc.Requirement)
	}
	fmt.Fprintf(w, "\n%d scenarios\n", len(selected))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
