package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/lifecycle"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// requestStep sends one request and judges its response.
func (s *state) requestStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	if st.Expect != nil && st.Expect.Transport != "" {
		return s.transportStep(ctx, st, sr)
	}
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
		func() ([]string, error) { return s.check(s.expectation(st), resp) },
	} {
		msgs, err := f()
		if err != nil {
			return err
		}
		sr.Failures = append(sr.Failures, msgs...)
	}
	return nil
}

// expectation is the step's expect, or its observed one under the
// observed profile.
func (s *state) expectation(st scenario.Step) *scenario.Expect {
	if st.Observed != nil && s.runner.profile == ProfileObserved {
		return st.Observed
	}
	return st.Expect
}

// failOn turns a defect found before the response, or a request that got
// no whole HTTP answer where one was due, into a step failure and passes
// other errors on.
func (s *state) failOn(err error, sr *StepResult) error {
	var tf targetFailure
	if errors.As(err, &tf) {
		sr.Failures = append(sr.Failures, tf.msg)
		return nil
	}
	var te transportError
	if errors.As(err, &te) {
		sr.Failures = append(sr.Failures, fmt.Sprintf("transport: want an HTTP answer, got %s (%s)", te.kind, te.detail))
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
	if advance > 0 && !s.runner.target.Capabilities[s.dialect.clockCapability()] {
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
		_, err := s.control(ctx, "clock.advance", map[string]any{"by": advance.String()}, sr, false)
		return err
	}
	return s.runner.wait(ctx, every)
}
