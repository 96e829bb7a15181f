package scenario

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fieldpath"
)

// checkSteps validates what lives inside strings: field paths, regular
// expressions, the rule that only scenarios needing "control" (and the
// action's own capability) touch the control API, and where a transport
// fault may be expected.
func checkSteps(sc Scenario, report func(loc []string, msg string)) {
	control := contains(sc.Needs, CapabilityControl)
	for i, st := range sc.Steps {
		at := func(rest ...string) []string { return append([]string{"steps", fmt.Sprint(i)}, rest...) }
		if st.Control != nil {
			checkControl(sc, st.Control, at("control"), report)
		}
		if st.Token != nil && st.Lifecycle != nil {
			report(at("lifecycle"), "a token step's answer has no subscription status to record")
		}
		checkTransport(st, at, report)
		for _, req := range []struct {
			r   *Request
			loc []string
		}{{st.Request, at("request")}, {pollRequest(st.Poll), at("poll", "request")}} {
			if req.r == nil {
				continue
			}
			if strings.HasPrefix(req.r.Path, "/_sandbox") && !control {
				report(append(req.loc, "path"), `requests to /_sandbox need "control" in needs`)
			}
			checkAuth(req.r.Auth, append(req.loc, "auth"), report)
			checkBodyEdits(req.r, req.loc, report)
		}
		checkExpect(st.Expect, at("expect"), report)
		if st.Poll != nil {
			checkExpect(&st.Poll.Until, at("poll", "until"), report)
		}
		for name, c := range st.Capture {
			if c.JSON != "" {
				checkPath(c.JSON, at("capture", name, "json"), report)
			}
		}
		if st.Lifecycle != nil {
			checkPath(st.Lifecycle.Path, at("lifecycle", "path"), report)
		}
	}
}

// checksSomething reports whether running sc can fail at all: a scenario
// made only of requests without expect, capture or lifecycle passes
// whatever the target answers, which is a green that checked nothing.
// (Polls, control and token steps judge their answers themselves.)
func checksSomething(sc Scenario) bool {
	for _, st := range sc.Steps {
		if st.Request == nil || st.Expect != nil || len(st.Capture) > 0 || st.Lifecycle != nil {
			return true
		}
	}
	return false
}

// checkAuth names a credential the scenarios do not have when loading,
// instead of as an error once the scenario runs.
func checkAuth(a *Auth, loc []string, report func([]string, string)) {
	if a == nil {
		return
	}
	if a.Token != "" && len(FindReferences(a.Token)) == 0 && !contains(CredentialNames(), a.Token) {
		report(append(loc, "token"), (&UnknownNameError{What: "credential", Name: a.Token, Known: CredentialNames()}).Error())
	}
	if a.Basic != nil && a.Basic.Credential != "" && len(FindReferences(a.Basic.Credential)) == 0 && !contains(CredentialNames(), a.Basic.Credential) {
		report(append(loc, "basic", "credential"), (&UnknownNameError{What: "credential", Name: a.Basic.Credential, Known: CredentialNames()}).Error())
	}
}

// checkControl asks that a control step's scenario declares "control" and
// the capability of the action.
func checkControl(sc Scenario, c *Control, loc []string, report func([]string, string)) {
	if !contains(sc.Needs, CapabilityControl) {
		report(loc, `a control step needs "control" in needs`)
	}
	a, ok := ControlActions()[c.Action]
	if ok && a.Capability != CapabilityControl && !contains(sc.Needs, a.Capability) {
		report(append(loc, "action"), fmt.Sprintf("%s needs %q in needs", c.Action, a.Capability))
	}
}

// checkTransport allows a transport expectation only where there is one
// request to judge and no response is needed: on a request step without
// captures or lifecycle.
func checkTransport(st Step, at func(...string) []string, report func([]string, string)) {
	if st.Poll != nil && st.Poll.Until.Transport != "" {
		report(at("poll", "until", "transport"), "a poll waits for an answer; it cannot wait for a transport fault")
	}
	if st.Expect == nil || st.Expect.Transport == "" {
		return
	}
	switch {
	case st.Request == nil:
		report(at("expect", "transport"), "only a request step can expect a transport fault")
	case len(st.Capture) > 0:
		report(at("capture"), "a step that expects a transport fault has no response to capture from")
	case st.Lifecycle != nil:
		report(at("lifecycle"), "a step that expects a transport fault has no status to record")
	}
}

func pollRequest(p *Poll) *Request {
	if p == nil {
		return nil
	}
	return &p.Request
}

func checkBodyEdits(r *Request, loc []string, report func([]string, string)) {
	if (len(r.Set) > 0 || len(r.Omit) > 0) && r.JSON == nil {
		report(loc, "set and omit edit the json body; this request has none")
	}
	for i, p := range r.Omit {
		checkPath(p, append(loc, "omit", fmt.Sprint(i)), report)
	}
	for _, p := range slices.Sorted(maps.Keys(r.Set)) {
		checkPath(p, append(loc, "set", p), report)
	}
}

func checkExpect(e *Expect, loc []string, report func([]string, string)) {
	if e == nil {
		return
	}
	for _, p := range slices.Sorted(maps.Keys(e.JSON)) {
		checkPath(p, append(loc, "json", p), report)
		checkMatcher(e.JSON[p], append(loc, "json", p), report)
	}
	for _, h := range slices.Sorted(maps.Keys(e.Headers)) {
		checkMatcher(e.Headers[h], append(loc, "headers", h), report)
	}
	if e.Body != nil {
		checkMatcher(*e.Body, append(loc, "body"), report)
	}
}

func checkMatcher(m Matcher, loc []string, report func([]string, string)) {
	if m.Matches != "" && len(FindReferences(m.Matches)) == 0 {
		if _, err := regexp.Compile(m.Matches); err != nil {
			report(append(loc, "matches"), "bad regular expression: "+err.Error())
		}
	}
	if m.Length != nil {
		checkMatcher(*m.Length, append(loc, "length"), report)
	}
}

func checkPath(p string, loc []string, report func([]string, string)) {
	if len(FindReferences(p)) > 0 {
		return // resolved when the step runs
	}
	if _, err := fieldpath.Parse(p); err != nil {
		report(loc, err.Error())
	}
}
