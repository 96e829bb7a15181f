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
		if st.Token != nil {
			if sc.API == APIMicrosoft && !contains(sc.Needs, CapabilityTokens) {
				report(at("token"), `a Microsoft token step needs "tokens" in needs (the emulator has no token service)`)
			}
			checkCredential(sc.API, st.Token.Credential, at("token", "credential"), report)
			checkVersion(sc.API, st.Token.Version, at("token", "version"), report)
		}
		if st.Webhook != nil {
			checkWebhook(sc, st, at, report)
		}
		if st.Observed != nil {
			if st.Expect == nil {
				report(at("observed"), "observed replaces expect under the observed profile; give the documented expect too")
			}
			if sc.API != APIMicrosoft {
				report(at("observed"), "only Microsoft scenarios have an observed profile")
			}
			checkExpect(st.Observed, at("observed"), report)
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
			checkAuth(sc.API, req.r.Auth, append(req.loc, "auth"), report)
			checkBodyEdits(req.r, req.loc, report)
			if req.r.APIVersion != "" && sc.API != APIMicrosoft {
				report(append(req.loc, "apiVersion"), "only Microsoft's API takes an api-version")
			}
			if req.r.Service != "" && (sc.API != APIMicrosoft || !contains(sc.Needs, CapabilityTokens)) {
				report(append(req.loc, "service"), `service: entra is for Microsoft scenarios that declare "tokens" in needs`)
			}
		}
		checkExpect(st.Expect, at("expect"), report)
		if st.Poll != nil {
			checkExpect(&st.Poll.Until, at("poll", "until"), report)
		}
		for name, c := range st.Capture {
			if c.JSON != "" {
				checkPath(c.JSON, at("capture", name, "json"), report)
			}
			if c.Pattern != "" {
				if re, err := regexp.Compile(c.Pattern); err != nil {
					report(at("capture", name, "pattern"), "bad regular expression: "+err.Error())
				} else if re.NumSubexp() < 1 {
					report(at("capture", name, "pattern"), "the pattern needs a group, (…), to say what to keep")
				}
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
		if st.Webhook != nil && st.Webhook.Respond != nil {
			continue // it only sets how the receiver answers
		}
		if st.Request == nil || st.Expect != nil || len(st.Capture) > 0 || st.Lifecycle != nil {
			return true
		}
	}
	return false
}

// checkAuth names a credential the scenarios do not have when loading,
// instead of as an error once the scenario runs.
func checkAuth(api string, a *Auth, loc []string, report func([]string, string)) {
	if a == nil {
		return
	}
	if a.Token != "" {
		checkCredential(api, a.Token, append(loc, "token"), report)
	}
	if a.Basic != nil && a.Basic.Credential != "" {
		checkCredential(api, a.Basic.Credential, append(loc, "basic", "credential"), report)
	}
	checkVersion(api, a.Version, append(loc, "version"), report)
}

// checkCredential names a credential the API's scenarios do not have.
func checkCredential(api, name string, loc []string, report func([]string, string)) {
	known := CredentialNamesFor(api)
	what := "credential"
	if api == APIMicrosoft {
		what = "Microsoft publisher"
	}
	if len(FindReferences(name)) == 0 && !contains(known, name) {
		report(loc, (&UnknownNameError{What: what, Name: name, Known: known}).Error())
	}
}

// checkVersion allows an Entra endpoint version on Microsoft tokens only.
func checkVersion(api, v string, loc []string, report func([]string, string)) {
	if v != "" && api != APIMicrosoft {
		report(loc, "only Microsoft's tokens have an Entra endpoint version")
	}
}

// checkWebhook keeps a webhook step to one of its two forms, in a
// Microsoft scenario that declares the receiver it needs: respond (how the
// receiver answers, nothing to judge) or a wait (a delivery, whose request
// headers and body expect and capture judge; none of that when none are
// expected).
func checkWebhook(sc Scenario, st Step, at func(...string) []string, report func([]string, string)) {
	w := st.Webhook
	if sc.API != APIMicrosoft {
		report(at("webhook"), "only Microsoft's API sends webhooks")
	}
	if !contains(sc.Needs, CapabilityWebhooks) {
		report(at("webhook"), `a webhook step needs "webhooks" in needs`)
	}
	if w.Respond != nil {
		if len(w.Match) > 0 || w.Count != 0 || w.None || w.Verify || w.Timeout != 0 {
			report(at("webhook", "respond"), "respond sets the receiver's answer; it cannot be combined with match, count, none, verify or timeout")
		}
		if st.Expect != nil || len(st.Capture) > 0 || st.Lifecycle != nil {
			report(at("webhook", "respond"), "a webhook step that sets the receiver's answer has nothing to expect, capture or record")
		}
		return
	}
	if w.None && (st.Expect != nil || len(st.Capture) > 0 || w.Verify || w.Count != 0) {
		report(at("webhook", "none"), "none expects no delivery: there is nothing to expect, capture, verify or count")
	}
	if st.Expect != nil && (len(st.Expect.Status) > 0 || st.Expect.OpenAPI || st.Expect.Transport != "") {
		report(at("expect"), "a webhook step judges the delivery's headers and body; status, openapi and transport are for answers")
	}
	for _, p := range slices.Sorted(maps.Keys(w.Match)) {
		checkPath(p, at("webhook", "match", p), report)
		checkMatcher(w.Match[p], at("webhook", "match", p), report)
	}
}

// checkControl asks that a control step's scenario declares "control" and
// the capability of the action.
func checkControl(sc Scenario, c *Control, loc []string, report func([]string, string)) {
	if !contains(sc.Needs, CapabilityControl) {
		report(loc, `a control step needs "control" in needs`)
	}
	vocabulary := ControlActionsFor(sc.API)
	a, ok := vocabulary[c.Action]
	if !ok && slices.Contains(AllControlActionNames(), c.Action) {
		report(append(loc, "action"), (&UnknownNameError{What: sc.API + " control action", Name: c.Action, Known: slices.Sorted(maps.Keys(vocabulary))}).Error())
	}
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
