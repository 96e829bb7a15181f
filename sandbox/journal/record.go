package journal

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
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
	secrets   Secrets
	bodies    maskedBodies
	// correlationHeaders are the request headers whose values are
	// recorded as correlation ids.
	correlationHeaders []string
}

// WithCorrelationHeaders records the values of these request headers as
// the entry's correlation ids, so that GET /_sandbox/journal?correlationId=
// finds every request of one conversation (a callout and its retries).
func WithCorrelationHeaders(names ...string) RecorderOption {
	return func(rec *Recorder) {
		for _, name := range names {
			// Canonical once, so that reading them on every request
			// builds no key.
			name = http.CanonicalHeaderKey(name)
			if !slices.Contains(rec.correlationHeaders, name) {
				rec.correlationHeaders = append(rec.correlationHeaders, name)
			}
		}
	}
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// WithIdentify names the partner and client of a request that no handler
// named with Identify (an unknown token, a rejected token request, an
// unrouted path). It is called after the handler, on the request with its
// journaled body put back.
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

// Annotate records in the journal entry of the request w answers that
// fault rule fired with effect. Outside a journaled request it does
// nothing.
func Annotate(w http.ResponseWriter, rule, effect string) {
	if c := capturing(w); c != nil {
		c.fault = &Fault{Rule: rule, Effect: effect}
	}
}

// Identify records in the journal entry of the request w answers the
// partner and client that made it, as a handler that authenticated the
// request knows them. Outside a journaled request it does nothing.
func Identify(w http.ResponseWriter, partner, client string) {
	if c := capturing(w); c != nil {
		c.partner, c.client, c.identified = partner, client, true
	}
}

// capturing finds the recorder's writer behind w, through the writers
// that wrap it (they all Unwrap, for http.ResponseController).
func capturing(w http.ResponseWriter) *captureWriter {
	for w != nil {
		if c, ok := w.(*captureWriter); ok {
			return c
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
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
		cw := &captureWriter{ResponseWriter: w, limit: rec.bodyBytes, bodies: &rec.bodies}
		defer func() {
			v := recover()
			rec.record(r, api, at, start, head, cw)
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(cw, r)
	})
}

// replayBody serves the journaled head of a body, then the rest of it.
type replayBody struct {
	head []byte
	read int
	rest io.ReadCloser
}

func (b *replayBody) Read(p []byte) (int, error) {
	if b.read < len(b.head) {
		n := copy(p, b.head[b.read:])
		b.read += n
		return n, nil
	}
	if b.rest == nil {
		return 0, io.EOF
	}
	return b.rest.Read(p)
}

func (b *replayBody) Close() error {
	if b.rest == nil {
		return nil
	}
	return b.rest.Close()
}

// peekBody reads the first body_bytes (and one more, to know whether it
// was cut) of the body and puts them back in front of the rest.
func (rec *Recorder) peekBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	limit := rec.bodyBytes + 1
	size := 512 // a body of unknown length
	if r.ContentLength >= 0 {
		size = int(min(r.ContentLength+1, int64(limit))) // room to see the end without growing
	}
	head := make([]byte, 0, min(size, limit))
	for len(head) < limit {
		if len(head) == cap(head) {
			head = slices.Grow(head, min(max(cap(head), 512), limit-len(head))) // doubling, at least 512
		}
		n, err := r.Body.Read(head[len(head):min(cap(head), limit)])
		head = head[:len(head)+n]
		if err != nil {
			break
		}
	}
	r.Body = &replayBody{head: head, rest: r.Body}
	return head
}

func (rec *Recorder) record(r *http.Request, api string, at, start time.Time, head []byte, cw *captureWriter) {
	sec := &rec.secrets
	e := record{
		// A request id and a correlation id are the client's text too
		// (a safe X-Request-Id or x-ms-requestid becomes the request id
		// as it was sent), so they are masked like a header's value.
		requestID: sec.mask(requestid.From(r.Context())), at: at, wall: start, api: api, method: r.Method,
		path: sec.mask(r.URL.EscapedPath()), query: sec.mask(maskBody(r.URL.RawQuery)), status: cw.status,
		took: time.Since(start), fault: cw.fault, partner: cw.partner, client: cw.client,
		credential: credentialOf(r.Header.Get("Authorization")),
		req:        rec.side(sec.mask(flattenHeaders(r.Header)), head, max(r.ContentLength, int64(len(head)))),
		resp:       cw.side(rec, sec.mask(cw.header)),
	}
	for _, name := range rec.correlationHeaders {
		if v := r.Header.Get(name); v != "" {
			e.correlationIDs = append(e.correlationIDs, sec.mask(v))
		}
	}
	if !cw.identified && rec.identify != nil && api != ControlAPI {
		// The handler is done with the request: hand the journaled head
		// of its body to identify, which may read a token request's form.
		r.Body = &replayBody{head: head}
		r.ContentLength = int64(len(head))
		e.partner, e.client = rec.identify(r, api)
	}
	rec.store.append(e)
}

// side builds one side of the record from a body the recorder owns.
func (rec *Recorder) side(headers string, body []byte, length int64) side {
	s := side{headers: headers, length: length}
	if len(body) > rec.bodyBytes {
		body, s.truncated = body[:rec.bodyBytes], true
	}
	s.truncated = s.truncated || int64(len(body)) < length
	if len(body) == 0 {
		return s
	}
	if m, ok := rec.bodies.get(body, s.truncated); ok {
		s.body = m.masked
		return s
	}
	return rec.maskNew(s, body)
}

// maskNew masks a body the recorder does not remember, into s, and
// remembers it.
func (rec *Recorder) maskNew(s side, body []byte) side {
	s.body = maskBodyBytes(body)
	if s.truncated {
		s.body = rec.secrets.maskCut(s.body)
	}
	if masked := rec.secrets.mask(view(s.body)); masked != view(s.body) {
		s.body = []byte(masked)
	}
	rec.bodies.put(body, s.truncated, s.body)
	return s
}

var (
	_ http.Flusher  = (*captureWriter)(nil)
	_ http.Hijacker = (*captureWriter)(nil)
)

// captureWriter passes the answer through and keeps its status, headers
// and the start of its body, with what handlers told the journal.
type captureWriter struct {
	http.ResponseWriter
	limit   int
	status  int
	header  string // flattened and masked when the header was written
	body    []byte
	written int64
	// bodies are the recorder's remembered answers; remembered is the
	// one the answer's first write matched, taken without a copy (body
	// stays empty until another write comes).
	bodies     *maskedBodies
	remembered *maskedBody
	// unknown: the first write was looked for among them, and is not.
	unknown bool

	fault           *Fault
	partner, client string
	identified      bool
}

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 && status >= 200 {
		c.status = status
		c.header = flattenHeaders(c.ResponseWriter.Header())
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	switch {
	case c.written == 0 && len(p) <= c.limit && c.bodies != nil:
		// An answer given before, in one write, as most are: nothing
		// to copy (side takes its masked form).
		if m, ok := c.bodies.get(p, false); ok {
			c.remembered = &m
			break
		}
		c.body, c.unknown = append(c.body, p...), true // one answer is usually one write: sized exactly
	default:
		if c.remembered != nil { // more after all: the first write, as it was
			c.body, c.remembered = append([]byte(c.remembered.raw), c.body...), nil
		}
		if room := c.limit + 1 - len(c.body); room > 0 {
			c.body = append(c.body, p[:min(room, len(p))]...)
		}
	}
	n, err := c.ResponseWriter.Write(p)
	c.written += int64(n)
	return n, err
}

// side is the answer's side of the record: its remembered masked form
// when the answer was one write given before, else the body kept.
func (c *captureWriter) side(rec *Recorder, headers string) side {
	if m := c.remembered; m != nil && c.written == int64(len(m.raw)) {
		return side{headers: headers, length: c.written, body: m.masked}
	}
	if c.unknown && c.written == int64(len(c.body)) && len(c.body) > 0 && len(c.body) <= rec.bodyBytes {
		// The whole answer is that first write, already looked for.
		return rec.maskNew(side{headers: headers, length: c.written}, c.body)
	}
	body := c.body
	if m := c.remembered; m != nil { // a short write: keep what was written of it
		body = []byte(m.raw[:min(int64(len(m.raw)), c.written)])
	}
	return rec.side(headers, body, c.written)
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

// Outbound journals a request the sandbox itself sent, such as a webhook
// to a publisher's URL, and the answer it got, or with Status 0 the Error
// that came instead: e.URL says where it went (required; it is what
// marks the entry outbound, whatever e.Direction says), e.API which
// marketplace sent it. Headers go through the same masking as inbound
// ones (Authorization keeps only its scheme: "Bearer ****"), bodies are
// cut to journal.body_bytes, and every secret the recorder knows is
// masked, also in the URL, the error text (which quotes the URL) and the
// request and correlation ids.
func (rec *Recorder) Outbound(e Entry) {
	if rec.off || e.URL == "" {
		return
	}
	r := recordOf(e, rec.bodyBytes)
	sec := &rec.secrets
	r.url, r.path, r.query, r.err = sec.mask(r.url), sec.mask(r.path), sec.mask(r.query), sec.mask(r.err)
	r.requestID, r.correlationIDs = sec.mask(r.requestID), slices.Clone(r.correlationIDs)
	for i, id := range r.correlationIDs {
		r.correlationIDs[i] = sec.mask(id)
	}
	for _, sd := range []*side{&r.req, &r.resp} {
		sd.headers = sec.mask(sd.headers)
		if masked := sec.mask(string(sd.body)); masked != string(sd.body) {
			sd.body = []byte(masked)
		}
	}
	rec.store.append(r)
}

// Note journals something the sandbox did on its own that a reader of
// the journal must know of, such as retention forgetting records: an
// entry of DirectionSandbox, with e.API the marketplace it concerns,
// e.Method a verb of the sandbox's own ("EVICT"), e.Path the listing
// concerned and the details as e.Response's body. Such entries belong to
// no client: certification never counts them as requests.
func (rec *Recorder) Note(e Entry) {
	if rec.off {
		return
	}
	e.Direction, e.URL = DirectionSandbox, ""
	rec.store.append(recordOf(e, rec.bodyBytes))
}
