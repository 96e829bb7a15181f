package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// suiteName titles reports.
const suiteName = "GitLab Marketplace API conformance"

// run is the whole command; main only maps its error to an exit code.
// environ is the process environment (KEY=VALUE), read whole so that an
// unknown CONFORMANCE_* variable can be refused.
func run(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg, err := loadConfig(o, environ)
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
	if len(selected) == 0 {
		fmt.Fprintln(stderr, "conformance: no scenario selected (--allow-empty): nothing to check")
		return writeReports(o, report.Run{Suite: suiteName, Target: cfg.URL, Started: time.Now()})
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
	return verdict(result, len(selected), o)
}

// loadScenarios loads the library (embedded or --scenarios) and selects
// with the label filter and the ids. Selecting nothing is an error unless
// --allow-empty says it is intended.
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
	selected, err := lib.Select(o.labelFilter, o.ids)
	if err != nil {
		return nil, nil, err
	}
	if len(selected) == 0 && !o.allowEmpty {
		return nil, nil, fmt.Errorf("no scenario matches %s; nothing would be checked (--allow-empty if that is intended)", selection(o))
	}
	return selected, lib, nil
}

// selection describes the filters of a run, for messages.
func selection(o options) string {
	var parts []string
	if o.labelFilter != "" {
		parts = append(parts, fmt.Sprintf("--label-filter %q", o.labelFilter))
	}
	if len(o.ids) > 0 {
		parts = append(parts, fmt.Sprintf("--id %s", o.ids.String()))
	}
	return strings.Join(parts, " and ")
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
// errors, which beat failures. A run that checked nothing is not a pass:
// one interrupted before every selected scenario ran, or one in which
// every scenario was skipped (a capability misspelt or not discovered),
// unless --allow-all-skipped says so.
func verdict(r report.Run, selected int, o options) error {
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
	case s.Total < selected:
		return withCode(exitUsage, fmt.Errorf("interrupted after %d of %d scenarios: the run is incomplete", s.Total, selected))
	case s.Skipped == s.Total && !o.allowAllSkipped:
		return withCode(exitUsage, fmt.Errorf("all %d selected scenarios were skipped (%s): nothing was checked "+
			"(check capabilities and CONFORMANCE_CAPABILITIES; --allow-all-skipped if that is intended)", s.Total, skipReasons(r)))
	}
	return nil
}

// skipReasons lists the distinct reasons of the skipped results.
func skipReasons(r report.Run) string {
	var reasons []string
	for _, res := range r.Results {
		if res.Outcome == engine.Skip && !slices.Contains(reasons, res.Reason) {
			reasons = append(reasons, res.Reason)
		}
	}
	return strings.Join(reasons, "; ")
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
