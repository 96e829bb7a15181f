package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// suiteName titles reports, by the APIs the run checks.
func suiteName(selected []scenario.Scenario) string {
	apis := apisOf(selected)
	names := map[string]string{scenario.APIGitLab: "GitLab Marketplace API", scenario.APIMicrosoft: "Microsoft SaaS Fulfillment and Metering APIs"}
	var parts []string
	for _, a := range apis {
		parts = append(parts, names[a])
	}
	if len(parts) == 0 {
		return "Marketplace API conformance"
	}
	return strings.Join(parts, " and ") + " conformance"
}

// onlyAPIs keeps the scenarios of the given APIs, and names the APIs of
// those it left out.
func onlyAPIs(selected []scenario.Scenario, apis []string) (kept []scenario.Scenario, left []string) {
	for _, sc := range selected {
		switch {
		case slices.Contains(apis, sc.API):
			kept = append(kept, sc)
		case !slices.Contains(left, sc.API):
			left = append(left, sc.API)
		}
	}
	return kept, left
}

// apisOf lists the APIs of the selected scenarios, in the order of
// scenario.APIs.
func apisOf(selected []scenario.Scenario) []string {
	var out []string
	for _, a := range scenario.APIs() {
		if slices.ContainsFunc(selected, func(sc scenario.Scenario) bool { return sc.API == a }) {
			out = append(out, a)
		}
	}
	return out
}

// run is the whole command; main only maps its error to an exit code.
// environ is the process environment (KEY=VALUE), read whole so that an
// unknown CONFORMANCE_* variable can be refused.
func run(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "certify-client" {
		return runCertify(ctx, args[1:], environ, stdout, stderr)
	}
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
		return writeReports(o, report.Run{Suite: suiteName(selected), Target: cfg.URL, Profile: o.profile, Started: time.Now()})
	}
	client := controlClient(engine.DefaultHTTPClient(o.timeout), cfg)
	if err := target.WaitReady(ctx, client, cfg.URL, o.wait, o.probeTimeout); err != nil {
		return withCode(exitUnreachable, err)
	}
	if cfg, err = target.Discover(ctx, client, cfg); err != nil {
		if errors.Is(err, target.ErrControlToken) {
			return withCode(exitUsage, err)
		}
		return withCode(exitUnreachable, err)
	}
	if len(o.apis) == 0 && len(target.APIsOf(cfg)) > 0 {
		// Only the APIs the target is configured or discovered for: a
		// GitLab portal's run does not list Microsoft's pack as skipped.
		// (A target configured for none gets every API's missing
		// configuration named below.)
		var left []string
		selected, left = onlyAPIs(selected, target.APIsOf(cfg))
		if len(left) > 0 {
			fmt.Fprintf(stdout, "not checked: %s (the target is not configured for it; --api %s to require it)\n", strings.Join(left, ", "), strings.Join(left, ","))
		}
		if len(selected) == 0 && !o.allowEmpty {
			return withCode(exitUsage, fmt.Errorf("the target %s is configured for none of the selected scenarios' APIs (%s): give its credentials (--config) or --api", cfg.URL, strings.Join(left, ", ")))
		}
		if len(selected) == 0 {
			return writeReports(o, report.Run{Suite: suiteName(selected), Target: cfg.URL, Profile: o.profile, Started: time.Now()})
		}
	}
	tgt, err := cfg.Resolve(apisOf(selected)...)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := checkProfile(o.profile, tgt, selected); err != nil {
		return withCode(exitUsage, err)
	}
	opts := []engine.Option{engine.WithHTTPClient(client), engine.WithProfile(o.profile)}
	if o.webhookListen != "off" && slices.Contains(apisOf(selected), scenario.APIMicrosoft) {
		rc, err := engine.NewReceiver(o.webhookListen, o.webhookURL)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("--webhook-listen %s: %w", o.webhookListen, err))
		}
		defer rc.Close()
		fmt.Fprintf(stdout, "webhook receiver: listening on %s, the target calls %s\n", rc.Addr(), rc.URL())
		opts = append(opts, engine.WithReceiver(rc))
	}
	runner, err := engine.New(tgt, lib, opts...)
	if err != nil {
		return withCode(exitUsage, err)
	}
	result := execute(ctx, runner, selected, tgt, progress(stdout, o.quiet))
	result.Suite, result.Profile = suiteName(selected), o.profile
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
	if len(o.apis) > 0 {
		selected, _ = onlyAPIs(selected, o.apis)
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
	r := report.Run{Target: tgt.BaseURL.String(), Started: time.Now()}
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

// checkProfile refuses a run whose profile is not the one our sandbox
// serves Microsoft's API in: every scenario with two expectations would
// fail on the harness's choice, not on a defect.
func checkProfile(profile string, tgt target.Target, selected []scenario.Scenario) error {
	if tgt.Profile == "" || tgt.Profile == profile || !slices.Contains(apisOf(selected), scenario.APIMicrosoft) {
		return nil
	}
	return fmt.Errorf("--profile %s, but the sandbox at %s serves Microsoft's API in profile %s (microsoft.profile): pass --profile %s, or start it with --microsoft-profile %s",
		profile, tgt.BaseURL, tgt.Profile, tgt.Profile, profile)
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
	fmt.Fprintf(w, "\n%d scenarios: %d passed, %d failed, %d skipped, %d errors in %s (profile %s)\n",
		s.Total, s.Passed, s.Failed, s.Skipped, s.Errors, r.Duration.Round(time.Millisecond), r.Profile)
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

// controlClient is client sending the target's control token, when one is
// configured, with the requests for the target's control API (package
// controlauth decides which), so that a scenario's marketplace requests go
// exactly as written. Reports never show it: they record the requests the
// engine built, before the transport adds the header.
func controlClient(client *http.Client, cfg target.Config) *http.Client {
	if cfg.ControlToken == "" {
		return client
	}
	host := ""
	if u, err := url.Parse(cfg.URL); err == nil {
		host = u.Host
	}
	return controlauth.Client(client, cfg.ControlToken, host)
}
