package outbound

import (
	"net/http"
	"time"
)

// Exchange is one request an attempt made and what came of it, as
// Config.Exchanged sees it: what a request journal keeps of an outbound
// request, including those that never got an answer, so that "every
// delivery is in the journal" (issue 11) holds for the failures a
// partner most needs to see.
type Exchange struct {
	Message Message
	// RequestID is the attempt's own, fresh for every request (the one
	// Prepare was given and usually puts in a header).
	RequestID   string
	Attempt     int
	Copy        int
	Credentials bool
	Method      string
	URL         string
	// Header is the request's header as Prepare left it, a copy; nil when
	// no request could be built (a malformed URL). The transport adds
	// Host, User-Agent, Content-Length and Accept-Encoding on the wire,
	// which are not here.
	Header http.Header
	Body   []byte
	// At is when the attempt started, on the sandbox clock.
	At time.Time
	// Sent is when it started on the wall clock, by which a receiver's
	// timing (its answer, its ACK) is judged.
	Sent time.Time
	// Took is the real (wall) time the attempt's request took, from
	// building and signing it to the end of the answer or the failure, the
	// span Config.Timeout bounds: the virtual clock does not move while a
	// receiver thinks, and the journal's latency of an inbound request is
	// wall time too.
	Took time.Duration
	// StatusCode, ResponseHeader and ResponseBody (at most
	// AnswerBodyLimit bytes) are the answer; StatusCode is 0 when none
	// came.
	StatusCode     int
	ResponseHeader http.Header
	ResponseBody   []byte
	// Err says why no answer came: the request could not be prepared, the
	// connection was refused or reset, the timeout passed. A status the
	// success policy refuses is an answer, not an Err.
	Err error
}

// exchanged hands x to Config.Exchanged, if set.
func (d *Dispatcher) exchanged(x Exchange) {
	if d.cfg.Exchanged != nil {
		d.cfg.Exchanged(x)
	}
}
