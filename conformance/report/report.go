// Package report writes the verdict of a conformance run for machines and
// people: JUnit XML for CI systems, JSON for tooling, and a self-contained
// HTML page that shows every request and response (secrets masked by the
// engine before they reach a report).
package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// Run is one conformance run.
type Run struct {
	// Suite names the run, e.g. "GitLab Marketplace API conformance".
	Suite  string `json:"suite"`
	Target string `json:"target"`
	// Profile is the expectation judged where a Microsoft step states two
	// (docs or observed).
	Profile  string          `json:"profile,omitempty"`
	Started  time.Time       `json:"started"`
	Duration time.Duration   `json:"duration"`
	Results  []engine.Result `json:"results"`
}

// Summary counts results by outcome.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Errors  int `json:"errors"`
}

// Summary counts the run's outcomes.
func (r Run) Summary() Summary {
	s := Summary{Total: len(r.Results)}
	for _, res := range r.Results {
		switch res.Outcome {
		case engine.Pass:
			s.Passed++
		case engine.Fail:
			s.Failed++
		case engine.Skip:
			s.Skipped++
		case engine.Error:
			s.Errors++
		}
	}
	return s
}

// WriteJSON writes the run, its summary and every result as indented JSON.
func WriteJSON(w io.Writer, r Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Run
		Summary Summary `json:"summary"`
	}{r, r.Summary()})
}
