package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// controlError is a control API error; it uses the same envelope as the
// GitLab portal so one client parses both.
type controlError struct {
	status      int
	code        string
	description string
	fields      []fault.Problem
}

func (e *controlError) Error() string { return e.description }

func badRequest(format string, args ...any) error {
	return &controlError{status: http.StatusBadRequest, code: "invalid_request", description: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &controlError{status: http.StatusNotFound, code: "not_found", description: fmt.Sprintf(format, args...)}
}

// answer is a control answer with a status other than 200; a 204 has no
// body.
type answer struct {
	status int
	body   any
}

// control adapts a control handler that returns a value (or an answer) or
// an error.
func (s *Sandbox) control(h func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			ce, ok := err.(*controlError)
			if !ok {
				s.log.ErrorContext(r.Context(), "control API error", "err", err, "request_id", requestid.From(r.Context()))
				ce = &controlError{status: http.StatusInternalServerError, code: "internal_error", description: "The server encountered an unexpected condition."}
			}
			writeControlJSON(w, ce.status, controlErrorBody{Error: ce.code, Description: ce.description,
				Errors: capProblems(ce.fields), RequestID: requestid.From(r.Context())})
			return
		}
		switch a, ok := v.(answer); {
		case ok && a.status == http.StatusNoContent:
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNoContent)
		case ok:
			writeControlJSON(w, a.status, a.body)
		default:
			writeControlJSON(w, http.StatusOK, v)
		}
	})
}

// controlErrorBody is the portal's error envelope, field list included.
type controlErrorBody struct {
	Error       string          `json:"error"`
	Description string          `json:"error_description"`
	Errors      []fault.Problem `json:"errors,omitempty"`
	RequestID   string          `json:"request_id"`
}

func writeControlError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	writeControlJSON(w, status, controlErrorBody{Error: code, Description: description, RequestID: requestid.From(r.Context())})
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// health is GET /_sandbox/health: 200 once Run has started, 503 before.
func (s *Sandbox) health(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeControlJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	writeControlJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Sandbox) reset(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	s.Reset()
	return map[string]string{"status": "reset"}, nil
}

// clockView is the body of the clock routes.
type clockView struct {
	Now     time.Time       `json:"now"`
	Mode    clock.Mode      `json:"mode"`
	Offset  string          `json:"offset"`
	Pending []clock.Pending `json:"pending"`
	Fired   *int            `json:"fired,omitempty"`
}

func (s *Sandbox) clockState() clockView {
	return clockView{Now: s.clock.Now(), Mode: s.clock.Mode(), Offset: s.clock.Offset().String(), Pending: s.clock.Pending()}
}

func (s *Sandbox) readClock(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	return s.clockState(), nil
}

// maxAdvance bounds one advance so that time arithmetic cannot overflow.
const maxAdvance = 100 * 365 * 24 * time.Hour

// maxFiredPerAdvance bounds the jobs one advance fires: past it the advance
// stops with a 409 that says where the clock stands, and the client
// advances again. It keeps one request from running for minutes over a
// huge backlog (10⁵ callouts due are 10⁵ HTTP requests).
const maxFiredPerAdvance = 10_000

// advanceClock is POST /_sandbox/clock/advance with {"by": "10m"} or
// {"to": "2026-12-01T00:00:00Z"} (also accepted as query parameters). It
// answers once every job that fell due has run. It works on the request's
// context: a client that hangs up stops it before the next job, and so
// does a reset; the clock then stands at the last job fired, so nothing
// is skipped and nothing is left half done.
func (s *Sandbox) advanceClock(r *http.Request) (any, error) {
	by, err := s.advanceAmount(r)
	if err != nil {
		return nil, err
	}
	report := s.clock.AdvanceBounded(r.Context(), by, maxFiredPerAdvance)
	v := s.clockState()
	v.Fired = &report.Fired
	if report.Stopped != "" {
		return nil, advanceStopped(report, v, s.clock.DueBy(v.Now.Add(by)))
	}
	return v, nil
}

// advanceStopped is the 409 of an advance that did not reach its target.
func advanceStopped(report clock.AdvanceReport, v clockView, left int) error {
	why := map[string]string{
		clock.StopLimit:     fmt.Sprintf("it fired %d jobs, the most one advance may", report.Fired),
		clock.StopReset:     "a reset interrupted it",
		clock.StopCancelled: "its client went away",
	}[report.Stopped]
	return &controlError{status: http.StatusConflict, code: "advance_incomplete", description: fmt.Sprintf(
		"The advance stopped before its target because %s: the clock stands at %s after %d jobs, with at least %d more due on the way; advance again to go on.",
		why, v.Now.Format(time.RFC3339Nano), report.Fired, left)}
}

func (s *Sandbox) advanceAmount(r *http.Request) (time.Duration, error) {
	req, err := advanceRequest(r)
	if err != nil {
		return 0, err
	}
	var by time.Duration
	switch {
	case req.By != "" && req.To != "":
		return 0, badRequest("Give either by or to, not both.")
	case req.By != "":
		if by, err = time.ParseDuration(req.By); err != nil {
			return 0, badRequest("by: %q is not a duration such as 90s, 10m or 36h (at most %s).", req.By, maxAdvance)
		}
	case req.To != "":
		to, err := time.Parse(time.RFC3339Nano, req.To)
		if err != nil {
			return 0, badRequest("to: %q is not an RFC 3339 time.", req.To)
		}
		if err := clock.CheckTime(to); err != nil {
			return 0, badRequest("to: %v.", err)
		}
		by = to.Sub(s.clock.Now())
	default:
		return 0, badRequest(`Say how far to move the clock: {"by": "10m"}.`)
	}
	if by < 0 {
		return 0, badRequest("The sandbox clock never goes back; the advance must not be negative.")
	}
	if by > maxAdvance {
		return 0, badRequest("One advance may move the clock at most 100 years (876000h).")
	}
	if err := s.clock.CheckAdvance(by); err != nil {
		return 0, badRequest("%v.", err)
	}
	return by, nil
}

// advanceBody is the body of POST /_sandbox/clock/advance.
type advanceBody struct {
	By string `json:"by"`
	To string `json:"to"`
}

// advanceRequest reads by and to from the query or a JSON body, not both,
// each at most once.
func advanceRequest(r *http.Request) (advanceBody, error) {
	var req advanceBody
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return req, badRequest("The query string is malformed: %v.", err)
	}
	for name, values := range q {
		if name != "by" && name != "to" {
			return req, badRequest("Unknown parameter %q: give by or to.", name)
		}
		if len(values) > 1 {
			return req, badRequest("Parameter %q is given %d times; give it once.", name, len(values))
		}
	}
	body, err := readOptionalJSON(r)
	if err != nil {
		return req, err
	}
	if body != nil {
		if len(q) > 0 {
			return req, badRequest("Give by or to in the query or in the body, not both.")
		}
		if err := decodeStrict(body, &req); err != nil {
			return req, badRequest(`Send {"by": "10m"} or {"to": "<RFC 3339 time>"}: %v.`, err)
		}
	} else {
		req.By, req.To = q.Get("by"), q.Get("to")
	}
	return req, nil
}
