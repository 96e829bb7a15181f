package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
)

// transportError is a request that reached the target (a connection was
// made) but got no whole HTTP answer. Kind is one of
// scenario.TransportFaults. A request that never connected is not one: the
// target is unreachable, which ends the scenario in an error instead.
type transportError struct {
	kind   string
	detail string
}

func (e transportError) Error() string { return e.kind + ": " + e.detail }

// transportKind names how a request that had a connection failed before
// the status line and headers arrived. What is neither a timeout, a reset
// nor a closed connection came back as bytes that are not HTTP.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED):
		return "reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "malformed"
}

// bodyKind names how reading a body failed once the status line and the
// headers had arrived: too slow, or cut short (truncated) however it was
// cut.
func bodyKind(err error) string {
	if transportKind(err) == "timeout" {
		return "timeout"
	}
	return "truncated"
}

// transportStep sends a request that is expected to get no whole HTTP
// answer, in the way the step names. Any HTTP answer, or another kind of
// transport failure, fails the step with what happened instead.
func (s *state) transportStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	want := st.Expect.Transport
	resp, err := s.send(ctx, *st.Request, sr, "")
	var te transportError
	switch {
	case errors.As(err, &te) && te.kind == want:
	case errors.As(err, &te):
		sr.Failures = append(sr.Failures, fmt.Sprintf("transport: want %s, got %s (%s)", want, te.kind, te.detail))
	case err != nil:
		return s.failOn(err, sr)
	case want == "malformed" && unreadableJSON(resp):
	default:
		sr.Failures = append(sr.Failures, fmt.Sprintf("transport: want %s, got an HTTP answer: status %d, body %s", want, resp.status, excerpt(resp.body)))
	}
	return nil
}

// unreadableJSON reports an answer that says it is JSON and is not: as
// unreadable for a partner as bytes that are not HTTP, and what our
// sandbox's "malformed" fault sends (a 200 whose body breaks off into an
// HTML error page).
func unreadableJSON(resp *response) bool {
	ct := strings.ToLower(resp.header.Get("Content-Type"))
	return strings.Contains(ct, "json") && resp.jsonErr != nil
}

// freshClient is the runner's client on connections that are never
// reused. Go's transport silently sends an idempotent request again when a
// reused connection breaks; in a scenario that injects faults that retry
// would hide the very fault under test (and use up a `times` budget).
func (r *Runner) freshClient() *http.Client {
	r.freshOnce.Do(func() {
		r.fresh = r.client
		base := r.client.Transport
		// The control token's transport wraps the connections' one: it
		// keeps wrapping the fresh one.
		token, wrapped := base.(*controlauth.Transport)
		if wrapped {
			base = token.Base
		}
		if base == nil {
			base = http.DefaultTransport
		}
		t, ok := base.(*http.Transport)
		if !ok {
			return // a custom transport decides for itself
		}
		t = t.Clone()
		t.DisableKeepAlives = true
		c := *r.client
		c.Transport = t
		if wrapped {
			fresh := *token
			fresh.Base = t
			c.Transport = &fresh
		}
		r.fresh = &c
	})
	return r.fresh
}
