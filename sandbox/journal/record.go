package journal

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// Recorder is the middleware that journals requests into a Store.
type Recorder struct {
	store     *Store
	now       func() time.Time
	apiOf     func(*http.Request) string
	identify  func(r *http.Request, api string) (partner, client string)
	bodyBytes int
	control   bool
	off       bool
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// WithIdentify names the partner and client of a request; it is called
// after the handler, on a copy of the request holding the journaled body.
func WithIdentify(f func(r *http.Request, api string) (partner, client string)) RecorderOption {
	return func(rec *Recorder) { rec.identify = f }
}

// ControlAPI is the api of control requests, journaled when
// journal.control is on.
const ControlAPI = "sandbox"

// NewRecorder journals into store with the bounds of s. now is the sandbox
// clock; apiOf names a request's marketplace, "" for the control API.
func NewRecorder(store *Store, s Settings, now func() time.Time, apiOf func(*http.Request) string, opts ...RecorderOption) *Recorder {
	rec := &Recorder{store: store, now: now, apiOf: apiOf, bodyBytes: s.BodyBytes, control: s.Control, off: s.MaxEntries == 0}
	for _, opt := range opts {
		opt(rec)
	}
	return rec
}

type noteKey struct{}

// note is what inner middleware tells the recorder about a request.
type note struct{ fault *Fault }

// Annotate records in the journal entry of the request behind ctx that
// fault rule fired with effect. Outside a journaled request it does
// nothing.
func Annotate(ctx context.Context, rule, effect string) {
	if n, ok := ctx.Value(noteKey{}).(*note); ok {
		n.fault = &Fault{Rule: rule, Effect: effect}
	}
}

// Wrap journals the requests next serves, including those that panic or
// whose connection a fault took over. With journal.max_entries 0 it
// returns next itself.
func (rec *Recorder) Wrap(next http.Handler) http.Handler {
	if rec.off {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := rec.apiOf(r)
		if api == "" {
			if !rec.control {
				next.ServeHTTP(w, r)
				return
			}
			api = ControlAPI
		}
		start, at := time.Now(), rec.now()
		head := rec.peekBody(r)
		n := &note{}
		cw := &captureWriter{ResponseWriter: w, limit: rec.bodyBytes}
		inner := r.WithContext(context.WithValue(r.Context(), noteKey{}, n))
		defer func() {
			v := recover()
			rec.record(r, api, at, time.Since(start), head, cw, n)
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(cw, inner)
	})
}

// peekBody reads the first body_bytes (and one more, to know whether it
// was cut) of the body and puts them back in front of the rest.
func (rec *Recorder) peekBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(r.Body, int64(rec.bodyBytes)+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	return head
}

func (rec *Recorder) record(r *http.Request, api string, at time.Time, took time.Duration, head []byte, cw *captureWriter, n *note) {
	e := Entry{
		RequestID: requestid.From(r.Context()), At: at, API: api, Method: r.Method,
		Path: r.URL.EscapedPath(), Query: maskBody(r.URL.RawQuery), Status: cw.status,
		Latency: took.String(), LatencyMs: float64(took.Microseconds()) / 1000, Fault: n.fault,
		Request:  rec.message(r.Header.Clone(), head, max(r.ContentLength, int64(len(head)))),
		Response: rec.message(cw.header, cw.body.Bytes(), cw.written),
	}
	for _, name := range []string{"Zuora-Request-Id", "Zuora-Notification-Id"} {
		if v := r.Header.Get(name); v != "" {
			e.CorrelationIDs = append(e.CorrelationIDs, v)
		}
	}
	if rec.identify != nil && api != ControlAPI {
		shadow := r.WithContext(r.Context()) // a shallow copy whose body can be replaced
		shadow.Body = io.NopCloser(bytes.NewReader(head))
		shadow.ContentLength = int64(len(head))
		e.Partner, e.Client = rec.identify(shadow, api)
	}
	rec.store.Append(e)
}

// message builds one side of the entry from headers it owns.
func (rec *Recorder) message(h http.Header, body []byte, length int64) Message {
	m := Message{Headers: maskHeaders(h), BodyBytes: length}
	if len(body) > rec.bodyBytes {
		body, m.Truncated = body[:rec.bodyBytes], true
	}
	m.Truncated = m.Truncated || int64(len(body)) < length
	m.Body = maskBody(string(body))
	return m
}

var (
	_ http.Flusher  = (*captureWriter)(nil)
	_ http.Hijacker = (*captureWriter)(nil)
)

// captureWriter passes the answer through and keeps its status, headers
// and the start of its body.
type captureWriter struct {
	http.ResponseWriter
	limit   int
	status  int
	header  http.Header
	body    bytes.Buffer
	written int64
}

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 && status >= 200 {
		c.status = status
		c.header = c.ResponseWriter.Header().Clone()
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if room := c.limit + 1 - c.body.Len(); room > 0 {
		c.body.Write(p[:min(room, len(p))])
	}
	n, err := c.ResponseWriter.Write(p)
	c.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (a fault may
// flush, or take the connection over to break it).
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Hijack is here for callers that type-assert rather than use
// http.ResponseController.
func (c *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

// Flush passes a flush through.
func (c *captureWriter) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }
