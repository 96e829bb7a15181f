package engine

import (
	"fmt"
	"strings"
	"time"
)

// Outcome is the verdict on one scenario. The four are kept distinct so a
// CI gate can tell a defect (fail) from a scenario the target cannot run
// (skip) and from a harness or connectivity problem (error).
type Outcome string

const (
	// Pass: every step met every expectation.
	Pass Outcome = "pass"
	// Fail: the target broke the requirement.
	Fail Outcome = "fail"
	// Skip: the target lacks a capability the scenario needs.
	Skip Outcome = "skip"
	// Error: the scenario is broken or the target could not be reached.
	Error Outcome = "error"
)

// ErrorKind tells the two causes of Error apart.
type ErrorKind string

const (
	// ScenarioError: the scenario cannot run (unknown variable, bad path).
	ScenarioError ErrorKind = "scenario"
	// TargetError: the target did not answer (refused, timed out).
	TargetError ErrorKind = "target"
)

// Result is the record of one scenario run, with secrets already masked.
type Result struct {
	ScenarioID  string        `json:"id"`
	Title       string        `json:"title"`
	Requirement string        `json:"requirement"`
	Reference   string        `json:"reference,omitempty"`
	Source      string        `json:"source"`
	Labels      []string      `json:"labels"`
	Outcome     Outcome       `json:"outcome"`
	Reason      string        `json:"reason,omitempty"`
	ErrorKind   ErrorKind     `json:"errorKind,omitempty"`
	Failures    []Failure     `json:"failures,omitempty"`
	Steps       []StepResult  `json:"steps"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration"`
}

// Failure is one unmet expectation of one step.
type Failure struct {
	Step    string `json:"step"`
	Message string `json:"message"`
}

// StepResult records what a step sent, received and observed.
type StepResult struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Line      int        `json:"line"`
	Exchanges []Exchange `json:"exchanges"`
	// Observed lists lifecycle values seen by this step, in order.
	Observed []string      `json:"observed,omitempty"`
	Failures []string      `json:"failures,omitempty"`
	Duration time.Duration `json:"duration"`
}

// Exchange is one HTTP request and its response, masked.
type Exchange struct {
	Purpose         string              `json:"purpose,omitempty"`
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"requestHeaders,omitempty"`
	RequestBody     string              `json:"requestBody,omitempty"`
	Status          int                 `json:"status,omitempty"`
	ResponseHeaders map[string][]string `json:"responseHeaders,omitempty"`
	ResponseBody    string              `json:"responseBody,omitempty"`
	Error           string              `json:"error,omitempty"`
	Duration        time.Duration       `json:"duration"`
}

// Message is the failure text of the scenario: its id, the requirement it
// checks, and every unmet expectation by step. Reports and Ginkgo use it.
func (r Result) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", r.ScenarioID, r.Requirement)
	switch r.Outcome {
	case Skip:
		fmt.Fprintf(&b, "\n  skipped: %s", r.Reason)
	case Error:
		fmt.Fprintf(&b, "\n  error (%s): %s", r.ErrorKind, r.Reason)
	}
	step := ""
	for _, f := range r.Failures {
		if f.Step != step {
			step = f.Step
			fmt.Fprintf(&b, "\n  %s:", step)
		}
		fmt.Fprintf(&b, "\n    %s", f.Message)
	}
	return b.String()
}
