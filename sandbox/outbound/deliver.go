package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Auth chooses, for one message, between the challenge step and sending
// credentials at once; AuthDefault follows Config.Preemptive.
type Auth string

// Auth modes of a Plan.
const (
	AuthDefault    Auth = ""
	AuthChallenge  Auth = "challenge"
	AuthPreemptive Auth = "preemptive"
)

// Plan is how one message is treated beyond the Config, usually built
// from the scripts in force for what it is about. The zero Plan sends it
// at once and behaves.
type Plan struct {
	// Delay is the time until the first attempt.
	Delay time.Duration
	Auth  Auth
	// Copies is how many extra copies to deliver with the same message
	// id, each with its own attempts; CopiesScript is recorded on them.
	Copies       int
	CopiesScript string
	// Drop: the message is never sent.
	Drop Cause
	// Hold: the message waits until Fire or Drop.
	Hold Cause
	// Reorder: when due, the message waits until an attempt at another
	// message is made, or for the schedule's first retry interval if none
	// comes, and is sent then, so "delivered out of order" happens on cue.
	Reorder Cause
}

// Cause says why a message is treated badly and which script asked for
// it; the zero Cause is "behave".
type Cause struct {
	Why    string
	Script string
}

// On reports whether the cause is in force.
func (c Cause) On() bool { return c.Why != "" }

// Schedule sends m as plan says: after plan.Delay, or never (dropped), or
// once fired (held).
func (d *Dispatcher) Schedule(m Message, plan Plan) {
	switch {
	case plan.Drop.On():
		d.record(d.unsent(m, OutcomeDropped, plan.Drop))
	case plan.Hold.On():
		d.begin(m.Subject, 1)
		d.hold(m, plan, plan.Hold, 0)
	default:
		d.begin(m.Subject, 1)
		d.cfg.Clock.AfterFunc(plan.Delay, d.jobName("", m), func(ctx context.Context) { d.due(ctx, m, plan) })
	}
}

// jobName names a clock job: `zuora callout "Order Processed" for
// A-S00000001`, or with how: `zuora sends held callout ...`.
func (d *Dispatcher) jobName(how string, m Message) string {
	verb := ""
	if how != "" {
		verb = " sends " + how
	}
	return fmt.Sprintf("%s%s %s %q for %s", d.cfg.Sender, verb, d.cfg.Noun, m.Event, m.Subject)
}

// due is the moment m is to be sent: a reordered message waits for the
// next other one, the rest start their first attempt.
func (d *Dispatcher) due(ctx context.Context, m Message, plan Plan) {
	if plan.Reorder.On() {
		d.hold(m, plan, plan.Reorder, d.cfg.Schedule.after(1))
		return
	}
	d.start(ctx, m, plan)
}

// start makes the first attempt of m and schedules each copy's, unless a
// reset came during the attempt.
func (d *Dispatcher) start(ctx context.Context, m Message, plan Plan) {
	// The copies count as busy before the original's attempt can
	// finish it, so the subject never looks settled in between.
	d.begin(m.Subject, plan.Copies)
	if !d.attempt(ctx, m, plan, 1, 0) {
		return
	}
	for c := 1; c <= plan.Copies; c++ {
		d.scheduleAttempt(m, plan, 1, c, 0)
	}
}

func (d *Dispatcher) scheduleAttempt(m Message, plan Plan, attempt, copy int, after time.Duration) {
	name := d.jobName("", m) + fmt.Sprintf(", attempt %d", attempt)
	if copy > 0 {
		name += fmt.Sprintf(" (copy %d)", copy)
	}
	d.cfg.Clock.AfterFunc(after, name, func(ctx context.Context) { _ = d.attempt(ctx, m, plan, attempt, copy) })
}

// attempt makes one delivery attempt, with the challenge step first when
// configured, records it, and schedules the next one if it failed and the
// schedule allows. Messages held for reordering are released once it is
// done. A reset during the request ends the attempt with no record and
// attempt reports false: the caller must write nothing either.
func (d *Dispatcher) attempt(ctx context.Context, m Message, plan Plan, attempt, copy int) bool {
	withCredentials := d.cfg.Challenge == nil || d.cfg.Preemptive
	if plan.Auth != AuthDefault && d.cfg.Challenge != nil {
		withCredentials = plan.Auth == AuthPreemptive
	}
	for {
		del, ok := d.send(ctx, m, attempt, copy, withCredentials)
		if !ok {
			return false
		}
		if copy > 0 {
			del.Script = plan.CopiesScript
		}
		challenged := !withCredentials && del.Error == "" && d.cfg.Challenge != nil && del.challenge
		switch {
		case challenged:
			del.Outcome = OutcomeChallenged
		case del.Error == "" && d.cfg.Success(del.StatusCode):
			del.Outcome = OutcomeDelivered
		case del.stop:
			del.Outcome = OutcomeRejected
		case attempt < d.cfg.Schedule.Attempts:
			del.Outcome = OutcomeRetrying
		default:
			del.Outcome = OutcomeAbandoned
		}
		d.record(del.Delivery)
		if challenged {
			withCredentials = true
			continue
		}
		if del.Outcome == OutcomeRetrying {
			d.scheduleAttempt(m, plan, attempt+1, copy, d.cfg.Schedule.after(attempt))
		} else {
			d.finish(m.Subject)
		}
		d.releaseReordered(m.ID)
		return true
	}
}

// sent is a Delivery with what attempt needs to judge it.
type sent struct {
	Delivery
	challenge, stop bool
}

// send makes one request; ok is false when a reset interrupted it.
func (d *Dispatcher) send(ctx context.Context, m Message, attempt, copy int, withCredentials bool) (sent, bool) {
	del := sent{Delivery: Delivery{
		MessageID: m.ID, Event: m.Event, Subject: m.Subject, RequestID: d.cfg.NewRequestID(),
		Attempt: attempt, Copy: copy, At: d.cfg.Clock.Now(), URL: m.URL, Credentials: withCredentials,
	}}
	if d.cfg.Journal != nil {
		del.Journal = d.cfg.Journal(del.RequestID)
	}
	started := time.Now() // wall time, for Exchange.Took: the timeout counts from here too
	if d.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.Timeout)
		defer cancel()
	}
	x := Exchange{
		Message: m, RequestID: del.RequestID, Attempt: attempt, Copy: copy, Credentials: withCredentials,
		Method: http.MethodPost, URL: m.URL, Body: m.Body, At: del.At, Sent: started,
	}
	req, err := d.request(ctx, m, Attempt{Message: m, RequestID: del.RequestID, Number: attempt, Copy: copy, Credentials: withCredentials})
	if req != nil && d.cfg.Exchanged != nil {
		x.Header = req.Header.Clone()
	}
	if err != nil {
		del.Error, x.Err, x.Took = err.Error(), err, time.Since(started)
		d.exchanged(x)
		return del, true
	}
	var ans Answer
	if err := d.cfg.Clock.Outside(ctx, func() { ans, x.Err = d.do(req, d.cfg.Answered != nil || d.cfg.Exchanged != nil) }); err != nil {
		return del, false
	}
	x.Took = time.Since(started)
	x.StatusCode, x.ResponseHeader, x.ResponseBody = ans.StatusCode, ans.Header, ans.Body
	d.exchanged(x)
	if x.Err != nil {
		del.Error = x.Err.Error()
		return del, true
	}
	ans.Message, ans.Attempt, ans.Copy = m, attempt, copy
	del.StatusCode = ans.StatusCode
	if d.cfg.Answered != nil {
		if err := d.cfg.Answered(ans); err != nil {
			del.Error, del.stop = err.Error(), errors.Is(err, ErrStop)
		}
	}
	del.challenge = d.cfg.Challenge != nil && d.cfg.Challenge(ans.StatusCode, ans.Header)
	return del, true
}

// request builds the attempt's request. A Prepare error comes with the
// request as Prepare left it, for the journal; only a malformed URL
// leaves it nil.
func (d *Dispatcher) request(ctx context.Context, m Message, a Attempt) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if d.cfg.Prepare != nil {
		if err := d.cfg.Prepare(req, a); err != nil {
			return req, fmt.Errorf("preparing the request: %w", err)
		}
	}
	return req, nil
}

// do is the part of an attempt that waits on the receiver; it runs
// without the clock's lock and touches no state. The body is read only
// for an Answered or Exchanged hook.
func (d *Dispatcher) do(req *http.Request, readBody bool) (Answer, error) {
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	ans := Answer{StatusCode: resp.StatusCode, Header: resp.Header}
	if readBody {
		// The status and headers came; a body cut short (the timeout)
		// leaves what was read.
		ans.Body, _ = io.ReadAll(io.LimitReader(resp.Body, AnswerBodyLimit))
	}
	return ans, nil
}
