package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
)

// verdictRun is the session's report as a conformance run, so that
// certify-client writes the same JUnit, JSON and HTML reports as the
// conformance pack: a verdict is a result, its evidence the exchanges of
// one step. A must verdict that was not exercised fails (the gate
// certifies nothing it did not see); an optional one is skipped. Every
// failed verdict fails. The
// partner's command is a result of its own.
func verdictRun(o certifyOptions, sess sessionInfo, rep sessionReport, started time.Time, cmdErr error) report.Run {
	run := report.Run{Suite: "Client certification: " + rep.Suite, Target: sess.PrefixURL, Profile: fmt.Sprintf("seed %d", sess.Seed),
		Started: started, Duration: time.Since(started)}
	command := engine.Result{ScenarioID: "partner-command", Title: strings.Join(o.command, " "), Source: "certify-client",
		Requirement: "The partner's command completes (exit status 0).", Labels: []string{"command"}, Outcome: engine.Pass, Started: started}
	if cmdErr != nil {
		command.Outcome = engine.Fail
		command.Failures = []engine.Failure{{Step: "command", Message: cmdErr.Error()}}
	}
	run.Results = append(run.Results, command)
	for _, v := range rep.Verdicts {
		res := engine.Result{ScenarioID: v.ID, Title: v.ID, Requirement: v.Requirement, Reference: v.Check,
			Source: "suite " + rep.Suite, Labels: []string{"check:" + v.Check, mustLabel(v.Must)}, Started: started}
		switch {
		case v.Status == "pass":
			res.Outcome = engine.Pass
		case v.Status == "not-exercised" && !v.Must:
			res.Outcome, res.Reason = engine.Skip, "not exercised: "+v.Detail
		case v.Status == "not-exercised":
			res.Outcome = engine.Fail
			res.Failures = []engine.Failure{{Step: "verdict", Message: "not exercised (a must verdict certifies only what it saw): " + v.Detail}}
		default:
			res.Outcome = engine.Fail
			res.Failures = []engine.Failure{{Step: "verdict", Message: v.Detail}}
		}
		step := engine.StepResult{Name: "evidence", Kind: "journal"}
		for _, e := range v.Evidence {
			where := e.Path
			if e.URL != "" {
				where = e.URL
			}
			note := strings.TrimSpace(strings.Join([]string{e.Note, faultNote(e.Fault), e.Credential}, " "))
			step.Exchanges = append(step.Exchanges, engine.Exchange{Purpose: fmt.Sprintf("#%d at %s: %s", e.ID, e.Wall.Format("15:04:05.000"), note),
				Method: e.Method, URL: where, Status: e.Status})
		}
		res.Steps = []engine.StepResult{step}
		run.Results = append(run.Results, res)
	}
	return run
}

func mustLabel(must bool) string {
	if must {
		return "must"
	}
	return "optional"
}

func faultNote(f string) string {
	if f == "" {
		return ""
	}
	return "[challenge " + f + "]"
}

// printVerdicts prints one line per verdict, with the detail of those that
// did not pass, and the summary.
func printVerdicts(w io.Writer, rep sessionReport, cmdErr error) {
	for _, v := range rep.Verdicts {
		mark := map[string]string{"pass": "PASS", "fail": "FAIL", "not-exercised": "NOT EXERCISED"}[v.Status]
		if !v.Must {
			mark += " (optional)"
		}
		fmt.Fprintf(w, "%-24s %s\n", mark, v.ID)
		if v.Status != "pass" {
			fmt.Fprintf(w, "      %s\n      %s\n", v.Requirement, v.Detail)
			for _, e := range v.Evidence[:min(len(v.Evidence), 5)] {
				where := e.Path
				if e.URL != "" {
					where = e.URL
				}
				fmt.Fprintf(w, "        #%d %s %s %s → %d %s\n", e.ID, e.Wall.Format("15:04:05.000"), e.Method, where, e.Status, strings.TrimSpace(e.Note+" "+faultNote(e.Fault)))
			}
		}
	}
	fmt.Fprintf(w, "\n%d verdicts: %d passed, %d failed, %d not exercised", len(rep.Verdicts), rep.Summary.Pass, rep.Summary.Fail, rep.Summary.NotExercised)
	if rep.Journal.Lost > 0 {
		fmt.Fprintf(w, "; the journal lost %d entries", rep.Journal.Lost)
	}
	if cmdErr != nil {
		fmt.Fprintf(w, "; the partner's command failed: %v", cmdErr)
	}
	fmt.Fprintln(w)
}
