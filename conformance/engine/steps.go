package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/lifecycle"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// requestStep sends one request and judges its response.
func (s *state) requestStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	resp, err := s.exchange(ctx, *st.Request, st.Lifecycle, sr, "")
	if err != nil || resp == nil {
		return err
	}
	return s.judge(st, resp, sr)
}

// exchange sends one request and records, as failures of the step, every
// lifecycle rule the answer breaks. When the target failed (no answer,
// recorded by failOn) it returns a nil response and a nil error: the step
// ends there, failed.
func (s *state) exchange(ctx context.Context, req scenario.Request, l *scenario.Lifecycle, sr *StepResult, purpose string) (*response, error) {
	resp, err := s.send(ctx, req, sr, purpose)
	if err != nil {
		return nil, s.failOn(err, sr)
	}
	msgs, err := s.observe(l, resp, sr)
	if err != nil {
		return nil, err
	}
	sr.Failures = append(sr.Failures, msgs...)
	return resp, nil
}

// judge applies a step's captures, then its expectations, to resp.
// Capturing first lets an expectation compare two parts of one response
// (a body's request_id with the X-Request-Id header).
func (s *state) judge(st scenario.Step, resp *response, sr *StepResult) error {
	for _, f := range []func() ([]string, error){
		func() ([]string, error) { return s.capture(st.Capture, resp) },
		func() ([]string, error) { return s.check(st.Expect, resp) },
	} {
		msgs, err := f()
		if err != nil {
			return err
		}
		sr.Failures = append(sr.Failures, msgs...)
	}
	return nil
}

// failOn turns a defect found before the response into a step failure and
// passes other errors on.
func (s *state) failOn(err error, sr *StepResult) error {
	var tf targetFailure
	if errors.As(err, &tf) {
		sr.Failures = append(sr.Failures, tf.msg)
		return nil
	}
	return err
}

// pollStep repeats a request until its condition holds. Every response is
// fed to the lifecycle trace, so a status that regresses for a single poll
// is caught. With the control capability and advanceClock, the target's
// clock moves between attempts and nothing waits in real time.
func (s *state) pollStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	p := st.Poll
	every := time.Duration(p.Every)
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	advance := time.Duration(p.AdvanceClock)
	if advance > 0 && !s.runner.target.Capabilities[target.CapabilityControl] {
		advance = 0 // the target's own time must pass
	}
	var elapsed time.Duration
	for attempt := 1; ; attempt++ {
		resp, err := s.exchange(ctx, p.Request, st.Lifecycle, sr, fmt.Sprintf("attempt %d", attempt))
		if err != nil || resp == nil {
			return err
		}
		unmet, err := s.check(&p.Until, resp)
		if err != nil {
			return err
		}
		if len(unmet) == 0 || elapsed >= time.Duration(p.Timeout) || len(sr.Failures) > 0 {
			if len(unmet) > 0 && p.OnTimeout != "continue" && len(sr.Failures) == 0 {
				sr.Failures = append(sr.Failures, fmt.Sprintf("poll: condition not met after %d attempts over %s (observed %s): %s",
					attempt, elapsed, lifecycle.Collapse(sr.Observed), strings.Join(unmet, "; ")))
			}
			if len(sr.Failures) > 0 {
				return nil
			}
			return s.judge(st, resp, sr)
		}
		if err := s.pause(ctx, advance, every, sr); err != nil {
			return err
		}
		if advance > 0 {
			elapsed += advance
		} else {
			elapsed += every
		}
	}
}

func (s *state) pause(ctx context.Context, advance, every time.Duration, sr *StepResult) error {
	if advance > 0 {
		_, err := s.control(ctx, "clock.advance", map[string]any{"by": advance.String()}, sr)
		return err
	}
	return s.runner.wait(ctx, every)
}

// controlStep drives the target's control API.
func (s *state) controlStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	with, err := s.resolve(map[string]any(st.Control.With))
	if err != nil {
		return err
	}
	args, _ := with.(map[string]any)
	resp, err := s.control(ctx, st.Control.Action, args, sr)
	if err != nil {
		return s.failOn(err, sr)
	}
	return s.judge(st, resp, sr)
}

// controlAction is one verb of the control vocabulary, mapped to our
// sandbox's /_sandbox API. Faults and callout scripts join this table.
type controlAction struct {
	method, path string
	// body builds the JSON body from the step's `with`.
	body func(with map[string]any) any
}

func controlActions() map[string]controlAction {
	return map[string]controlAction{
		"reset": {method: http.MethodPost, path: "/_sandbox/reset"},
		"clock.advance": {method: http.MethodPost, path: "/_sandbox/clock/advance",
			body: func(with map[string]any) any { return map[string]any{"by": with["by"]} }},
	}
}

// control performs an action; anything but a 2xx answer fails the step,
// because the scenario cannot go on meaningfully.
func (s *state) control(ctx context.Context, action string, with map[string]any, sr *StepResult) (*response, error) {
	a, ok := controlActions()[action]
	if !ok {
		return nil, brokenf("unknown control action %q", action)
	}
	req := scenario.Request{Method: a.method, Path: a.path}
	if a.body != nil {
		req.JSON = a.body(with)
	}
	out, err := s.build(req)
	if err != nil {
		return nil, err
	}
	out.query = url.Values{}
	resp, err := s.do(ctx, out, sr, "control "+action)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, targetFailure{msg: fmt.Sprintf("control %s: status %d, body %s", action, resp.status, excerpt(resp.body))}
	}
	return resp, nil
}
