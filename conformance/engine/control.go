package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/expect"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// controlStep drives the target's control API. A step whose expect names a
// status judges the answer itself (e.g. 400 for a rule the sandbox must
// refuse); otherwise anything but a 2xx answer fails the step, because the
// scenario cannot go on meaningfully.
func (s *state) controlStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	with, err := s.resolve(map[string]any(st.Control.With))
	if err != nil {
		return err
	}
	args, _ := with.(map[string]any)
	e := s.expectation(st)
	anyStatus := e != nil && len(e.Status) > 0
	resp, err := s.control(ctx, st.Control.Action, args, sr, anyStatus)
	if err != nil {
		return s.failOn(err, sr)
	}
	return s.judge(st, resp, sr)
}

// argsPlace says where an action's `with` goes (after the values its path
// names are taken out).
type argsPlace int

const (
	noArgs    argsPlace = iota
	argsBody            // a JSON body
	argsQuery           // query parameters
)

// controlAction is one verb of the control vocabulary, mapped to our
// sandbox's /_sandbox API. The scenario format knows the same names
// (scenario.ControlActions) and checks their `with` when loading.
type controlAction struct {
	method string
	// path may name values of `with` in braces, e.g. /_sandbox/faults/{id}.
	path string
	args argsPlace
	// undo is the path of a DELETE that removes what the action installed,
	// with {id} taken from the answer's id. The engine runs it after the
	// scenario, passed or not, so a failing scenario leaves no fault behind.
	undo string
	// with, when set, turns the scenario's arguments into the sandbox's
	// (a credential's name into a publisher id, a default offer).
	with func(s *state, with map[string]any) (map[string]any, error)
	// answer, when set, completes the decoded answer with what every
	// control adapter gives for the action.
	answer func(r *response)
}

// controlActionsFor is the vocabulary of an API as our sandbox serves it.
func controlActionsFor(api string) map[string]controlAction {
	if api == scenario.APIMicrosoft {
		return microsoftControlActions()
	}
	return controlActions()
}

// microsoftControlActions map the Microsoft dialect's verbs to our
// sandbox's /_sandbox/microsoft routes, and the shared ones to /_sandbox.
func microsoftControlActions() map[string]controlAction {
	const (
		ms       = "/_sandbox/microsoft"
		webhooks = ms + "/webhooks"
	)
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	return withShared(map[string]controlAction{
		"purchase":            {method: post, path: ms + "/purchases", args: argsBody, with: purchaseArgs, answer: purchaseAnswer},
		"event":               {method: post, path: ms + "/subscriptions/{id}/events", args: argsBody},
		"subscription.get":    {method: get, path: ms + "/subscriptions/{id}"},
		"subscriptions.list":  {method: get, path: ms + "/subscriptions", args: argsQuery},
		"webhooks.list":       {method: get, path: webhooks, args: argsQuery},
		"webhooks.pending":    {method: get, path: webhooks + "/pending", args: argsQuery},
		"webhook.fire":        {method: post, path: webhooks + "/{id}/fire"},
		"webhook.drop":        {method: post, path: webhooks + "/{id}/drop"},
		"webhook-rule.add":    {method: post, path: webhooks + "/rules", args: argsBody, undo: webhooks + "/rules/{id}", with: dropID},
		"webhook-rule.delete": {method: del, path: webhooks + "/rules/{id}"},
		"usage.list":          {method: get, path: ms + "/usage", args: argsQuery},
	})
}

// withShared adds the verbs every marketplace of our sandbox shares: reset,
// the clock, fault rules and the journal.
func withShared(actions map[string]controlAction) map[string]controlAction {
	const faults = "/_sandbox/faults"
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	maps.Copy(actions, map[string]controlAction{
		"reset":         {method: post, path: "/_sandbox/reset"},
		"clock.advance": {method: post, path: "/_sandbox/clock/advance", args: argsBody},
		"fault.add":     {method: post, path: faults, args: argsBody, undo: faults + "/{id}"},
		"fault.get":     {method: get, path: faults + "/{id}"},
		"fault.delete":  {method: del, path: faults + "/{id}"},
		"faults.list":   {method: get, path: faults},
		"faults.clear":  {method: del, path: faults},
		"faults.seed":   {method: post, path: faults + "/seed", args: argsBody},
		"journal.query": {method: get, path: "/_sandbox/journal", args: argsQuery},
	})
	return actions
}

// dropID leaves out the scenario's name for a webhook rule: the sandbox
// names its rules itself (the clean-up deletes the id it answers).
func dropID(_ *state, with map[string]any) (map[string]any, error) {
	out := maps.Clone(with)
	delete(out, "id")
	return out, nil
}

// purchaseArgs names the publisher by its credential (`publisher: second`,
// default the publisher) and buys from the target's offer unless the step
// names another.
func purchaseArgs(s *state, with map[string]any) (map[string]any, error) {
	out := maps.Clone(with)
	if out == nil {
		out = map[string]any{}
	}
	name, _ := out["publisher"].(string)
	delete(out, "publisher")
	p, ok := s.publisher(orDefault(name, "publisher"))
	if !ok {
		return nil, brokenf("control purchase: the target has no Microsoft publisher %q", orDefault(name, "publisher"))
	}
	if p.PublisherID != "" {
		out["publisherId"] = p.PublisherID
	}
	if _, ok := out["offerId"]; !ok && s.runner.target.Microsoft.Fields["offerId"] != "" {
		out["offerId"] = s.runner.target.Microsoft.Fields["offerId"]
	}
	return out, nil
}

// purchaseAnswer adds marketplaceToken, the landing page's token
// URL-decoded as a publisher must send it to resolve, beside token as the
// landing page's query carries it.
func purchaseAnswer(r *response) {
	m, ok := r.json.(map[string]any)
	if !ok {
		return
	}
	if tok, ok := m["token"].(string); ok {
		if plain, err := url.QueryUnescape(tok); err == nil {
			m["marketplaceToken"] = plain
		}
	}
}

func controlActions() map[string]controlAction {
	const (
		scripts  = "/_sandbox/gitlab/scripts"
		callouts = "/_sandbox/gitlab/callouts"
	)
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	return withShared(map[string]controlAction{
		"subscriptions.list": {method: get, path: "/_sandbox/gitlab/subscriptions", args: argsQuery},
		"callouts.list":      {method: get, path: callouts, args: argsQuery},
		"outbox.list":        {method: get, path: "/_sandbox/gitlab/outbox", args: argsQuery},

		"script.add":       {method: post, path: scripts, args: argsBody, undo: scripts + "/{id}"},
		"script.get":       {method: get, path: scripts + "/{id}"},
		"script.delete":    {method: del, path: scripts + "/{id}"},
		"scripts.list":     {method: get, path: scripts},
		"scripts.clear":    {method: del, path: scripts},
		"callouts.pending": {method: get, path: callouts + "/pending", args: argsQuery},
		"callout.fire":     {method: post, path: callouts + "/{notificationId}/fire"},
		"callout.drop":     {method: post, path: callouts + "/{notificationId}/drop"},
	})
}

// control performs an action. Unless anyStatus, anything but a 2xx answer
// fails the step.
func (s *state) control(ctx context.Context, action string, with map[string]any, sr *StepResult, anyStatus bool) (*response, error) {
	if s.scenario.API == scenario.APIMicrosoft && s.runner.target.Control == target.ControlEmulator {
		return s.emulatorControl(ctx, action, with, sr, anyStatus)
	}
	actions := controlActionsFor(s.scenario.API)
	a, ok := actions[action]
	if !ok {
		return nil, brokenf("unknown %s control action %q (known: %v)", s.scenario.API, action, slices.Sorted(maps.Keys(actions)))
	}
	if a.with != nil {
		var err error
		if with, err = a.with(s, with); err != nil {
			return nil, err
		}
	}
	out, err := a.outgoing(with)
	if err != nil {
		return nil, err
	}
	resp, err := s.do(ctx, out, sr, "control "+action)
	if err != nil {
		return nil, err
	}
	if a.answer != nil {
		a.answer(resp)
	}
	if action == "reset" && s.scenario.API == scenario.APIMicrosoft {
		// a reset restores the fixtures' webhook URLs
		if err := s.pointWebhooks(ctx, sr); err != nil {
			return nil, err
		}
	}
	ok2xx := resp.status >= 200 && resp.status <= 299
	if !ok2xx && !anyStatus {
		return nil, targetFailure{msg: fmt.Sprintf("control %s: status %d, body %s", action, resp.status, excerpt(resp.body))}
	}
	if a.undo != "" && ok2xx {
		if err := s.remember(action, a.undo, resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// pathParam finds the {name}s of an action's path.
var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// outgoing builds the request of an action: the values its path names are
// taken from with, the rest becomes the body or the query.
func (a controlAction) outgoing(with map[string]any) (*outgoing, error) {
	rest := maps.Clone(with)
	var missing error
	path := pathParam.ReplaceAllStringFunc(a.path, func(m string) string {
		key := m[1 : len(m)-1]
		v, ok := rest[key]
		delete(rest, key)
		text, isText := scalarText(v)
		if !ok || !isText || text == "" {
			missing = brokenf("control: with.%s is required (a string)", key)
		}
		return url.PathEscape(text)
	})
	if missing != nil {
		return nil, missing
	}
	out := &outgoing{method: a.method, path: path, query: url.Values{}, header: http.Header{}}
	switch a.args {
	case argsBody:
		if rest == nil {
			rest = map[string]any{}
		}
		out.body, _ = json.Marshal(rest)
		out.header.Set("Content-Type", "application/json")
	case argsQuery:
		for k, v := range rest {
			text, ok := scalarText(v)
			if !ok {
				return nil, brokenf("control: with.%s must be a string, number or boolean to be a query parameter, got %s", k, expect.Show(v))
			}
			out.query.Set(k, text)
		}
	}
	return out, nil
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// undoing is a DELETE to run after the scenario.
type undoing struct {
	action, path string
}

// remember records how to remove what an action installed; an answer
// without the id of what was installed breaks the control API's contract.
func (s *state) remember(action, undo string, resp *response) error {
	id, _ := mapField(resp.json, "id").(string)
	if id == "" {
		return targetFailure{msg: fmt.Sprintf("control %s: the answer has no id, so what it installed cannot be removed: %s", action, excerpt(resp.body))}
	}
	s.undo = append(s.undo, undoing{action: action, path: pathParam.ReplaceAllString(undo, url.PathEscape(id))})
	return nil
}

// cleanupTimeout bounds the clean-up of one scenario, which runs even when
// the run was interrupted.
const cleanupTimeout = 10 * time.Second

// cleanUp removes, newest first, every fault rule and script the scenario
// installed, and records it as a last step. A 404 means a step (a delete, a
// clear, a reset) already removed it. A clean-up that fails fails a
// scenario that had passed: later scenarios would meet its leftovers.
func (s *state) cleanUp(ctx context.Context) {
	if len(s.undo) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	started := time.Now()
	sr := StepResult{Name: "remove what the scenario installed", Kind: "cleanup", Exchanges: []Exchange{}}
	for i := len(s.undo) - 1; i >= 0; i-- {
		u := s.undo[i]
		out := &outgoing{method: http.MethodDelete, path: u.path, query: url.Values{}, header: http.Header{}}
		resp, err := s.do(ctx, out, &sr, "undo "+u.action)
		switch {
		case err != nil:
			sr.Failures = append(sr.Failures, fmt.Sprintf("undo %s: %v", u.action, err))
		case resp.status == http.StatusNotFound:
		case resp.status < 200 || resp.status > 299:
			sr.Failures = append(sr.Failures, fmt.Sprintf("undo %s: DELETE %s: status %d, body %s", u.action, u.path, resp.status, excerpt(resp.body)))
		}
	}
	sr.Duration = time.Since(started)
	res := s.result
	for _, f := range sr.Failures {
		res.Failures = append(res.Failures, Failure{Step: fmt.Sprintf("cleanup %q", sr.Name), Message: s.mask.text(f)})
	}
	if len(sr.Failures) > 0 && res.Outcome == Pass {
		res.Outcome = Fail
	}
	res.Steps = append(res.Steps, sr)
}
