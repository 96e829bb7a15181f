package certify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// Status is a verdict's outcome.
type Status string

// The outcomes. NotExercised means the situation the verdict is about
// never happened (no 503 to wait out, no duplicated webhook): it is never
// a pass, and a must verdict not exercised fails the report.
const (
	Pass         Status = "pass"
	Fail         Status = "fail"
	NotExercised Status = "not-exercised"
)

// Report is what a session's journal says of the client, verdict by
// verdict.
type Report struct {
	Suite    string          `json:"suite"`
	API      string          `json:"api"`
	Verdicts []VerdictResult `json:"verdicts"`
	Summary  Summary         `json:"summary"`
	// Passed is true when no verdict failed and every must verdict
	// passed (was exercised).
	Passed  bool         `json:"passed"`
	Journal JournalStats `json:"journal"`
}

// VerdictResult is one verdict judged.
type VerdictResult struct {
	ID          string `json:"id"`
	Requirement string `json:"requirement"`
	Check       string `json:"check"`
	Must        bool   `json:"must"`
	Status      Status `json:"status"`
	// Detail says in one line why.
	Detail   string     `json:"detail"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is a journal entry a verdict rests on, with what it shows.
// Secrets were masked by the journal before anything was stored.
type Evidence struct {
	ID     uint64    `json:"id"`
	Wall   time.Time `json:"wall"`
	Method string    `json:"method"`
	Path   string    `json:"path,omitempty"`
	URL    string    `json:"url,omitempty"`
	Status int       `json:"status"`
	// Fault names the fault rule that fired and its effect.
	Fault      string `json:"fault,omitempty"`
	Credential string `json:"credential,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Summary counts the verdicts by outcome.
type Summary struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	NotExercised int `json:"notExercised"`
}

// JournalStats says how much of the session the journal held.
type JournalStats struct {
	Entries int    `json:"entries"`
	Lost    uint64 `json:"lost"`
}

// maxEvidence bounds the entries one verdict shows.
const maxEvidence = 20

// outcome is what a check found.
type outcome struct {
	status   Status
	detail   string
	evidence []Evidence
}

// checker judges the entries, sorted by wall time.
type checker interface {
	judge(entries []journal.Entry) outcome
}

// Judge grades the entries a session's journal holds with the suite;
// lost is how many the journal dropped. A journal that lost entries
// could hide what would change any verdict (the 401 that justified a new
// token, the Get Operation before an ACK), so then every verdict fails
// with that reason: never a pass on a partial record.
func Judge(s Suite, entries []journal.Entry, lost uint64) Report {
	sorted := byWall(entries)
	r := Report{Suite: s.Name, API: s.API, Verdicts: []VerdictResult{}, Journal: JournalStats{Entries: len(entries), Lost: lost}}
	for _, v := range s.Verdicts {
		o := v.judge.judge(sorted)
		if lost > 0 {
			o.detail = fmt.Sprintf("the journal dropped %d entries, so this cannot be judged (raise journal.max_entries / max_bytes); on what it kept: %s: %s", lost, o.status, o.detail)
			o.status = Fail
		}
		if len(o.evidence) > maxEvidence {
			more := len(o.evidence) - maxEvidence
			o.evidence = o.evidence[:maxEvidence]
			o.evidence[maxEvidence-1].Note += fmt.Sprintf(" (and %d more entries)", more)
		}
		if o.evidence == nil {
			o.evidence = []Evidence{}
		}
		r.Verdicts = append(r.Verdicts, VerdictResult{ID: v.ID, Requirement: v.Requirement, Check: v.Check, Must: v.Must,
			Status: o.status, Detail: o.detail, Evidence: o.evidence})
		switch o.status {
		case Pass:
			r.Summary.Pass++
		case Fail:
			r.Summary.Fail++
		default:
			r.Summary.NotExercised++
		}
	}
	// A failed verdict fails the report whether or not it must be
	// exercised: a publisher that does not meter need not show metering,
	// but one that meters twice an hour is not certified.
	r.Passed = true
	for _, v := range r.Verdicts {
		if v.Status == Fail || (v.Must && v.Status != Pass) {
			r.Passed = false
		}
	}
	return r
}

// byWall is a copy of entries in the order they happened on the wall
// clock (by id when two share an instant).
func byWall(entries []journal.Entry) []journal.Entry {
	out := append([]journal.Entry(nil), entries...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := wall(out[i]), wall(out[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// wall is when e arrived (or was sent), falling back to the sandbox
// clock for entries recorded without a wall time.
func wall(e journal.Entry) time.Time {
	if e.Wall.IsZero() {
		return e.At
	}
	return e.Wall
}

// answered is when the answer to e was complete, as the client saw it.
func answered(e journal.Entry) time.Time {
	return wall(e).Add(time.Duration(e.LatencyMs * float64(time.Millisecond)))
}

// evidence shows e with a note.
func evidence(e journal.Entry, format string, args ...any) Evidence {
	ev := Evidence{ID: e.ID, Wall: wall(e), Method: e.Method, Status: e.Status, Credential: e.Credential, Note: fmt.Sprintf(format, args...)}
	if e.Direction == journal.DirectionOutbound {
		ev.URL = e.URL
	} else {
		ev.Path = e.Path
		if e.Query != "" {
			ev.Path += "?" + e.Query
		}
	}
	if e.Fault != nil {
		ev.Fault = e.Fault.Rule + ": " + e.Fault.Effect
	}
	return ev
}

// transportFault reports whether a fault broke e's answer at the
// connection (reset, empty, malformed, truncated, hang): the client saw
// no usable answer, whatever status the handler wrote.
func transportFault(e journal.Entry) bool {
	if e.Fault == nil {
		return false
	}
	for _, part := range strings.Split(e.Fault.Effect, "+") {
		switch strings.TrimPrefix(strings.TrimSpace(part), "transport ") {
		case "reset", "empty", "malformed", "truncated", "hang":
			return true
		}
	}
	return false
}

// retryable reports whether the client saw e fail in a way a client
// retries: no answer, a broken one, 429 or a 5xx.
func retryable(e journal.Entry) bool {
	return e.Status == 0 || e.Status == 429 || e.Status >= 500 || transportFault(e)
}

// who names the client behind e: its OAuth client, else its partner,
// else its credential.
func who(e journal.Entry) string {
	switch {
	case e.Client != "":
		return e.Client
	case e.Partner != "":
		return e.Partner
	}
	return e.Credential
}

// since formats a wall-clock gap for details.
func since(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// notExercised is the outcome of a check whose situation never occurred.
func notExercised(format string, args ...any) outcome {
	return outcome{status: NotExercised, detail: fmt.Sprintf(format, args...)}
}
