// Package journal records every request the sandbox saw and the answer it
// gave, so that a partner can see what its integration really sent (and
// what a fault did to it) without a proxy in between. Entries are bounded
// in number and size, oldest evicted first, and secrets are masked before
// anything is stored.
package journal

import (
	"errors"
	"net/http"
	"time"
)

// Settings bound the journal; they are the sandbox's journal.* settings.
type Settings struct {
	MaxEntries int   `yaml:"max_entries" usage:"most requests the journal keeps; the oldest are dropped first (0: no journal)"`
	MaxBytes   int64 `yaml:"max_bytes" usage:"approximate memory the journal may use, in bytes; the oldest entries are dropped first"`
	BodyBytes  int   `yaml:"body_bytes" usage:"bytes of each request and response body the journal keeps"`
	Control    bool  `yaml:"control" usage:"journal the /_sandbox control API's own requests too"`
}

// DefaultSettings keep the last 2 000 requests within 4 MiB: enough to
// debug a scenario or a CI run, and small enough that the sandbox stays
// under 40 MiB of RSS under load with the collector at gc_percent 200
// (BENCHMARKS.md). Raise both for long investigations.
func DefaultSettings() Settings {
	return Settings{MaxEntries: 2000, MaxBytes: 4 << 20, BodyBytes: 4096}
}

// Validate reports every setting out of range at once.
func (s Settings) Validate() error {
	var errs []error
	if s.MaxEntries < 0 {
		errs = append(errs, errors.New("journal.max_entries: must not be negative (0 turns the journal off)"))
	}
	if s.BodyBytes < 0 || s.BodyBytes > 1<<20 {
		errs = append(errs, errors.New("journal.body_bytes: must be between 0 and 1048576"))
	}
	if s.MaxBytes < 64<<10 {
		errs = append(errs, errors.New("journal.max_bytes: must be at least 65536"))
	} else if s.MaxBytes < 4*int64(s.BodyBytes) {
		errs = append(errs, errors.New("journal.max_bytes: must hold at least a few entries (4 × journal.body_bytes)"))
	}
	return errors.Join(errs...)
}

// Entry is one request and its answer.
type Entry struct {
	// ID increases with every entry, across clears.
	ID uint64 `json:"id"`
	// RequestID is the X-Request-Id the sandbox answered with.
	RequestID string `json:"requestId"`
	// At is when the request arrived, on the sandbox clock.
	At time.Time `json:"at"`
	// Wall is when it arrived (an outbound request: when it was sent) on
	// the wall clock. Judge a client's timing (Retry-After, backoff,
	// polling) by Wall: the sandbox clock may stand still meanwhile.
	Wall time.Time `json:"wall"`
	// API is the marketplace ("gitlab"), "sandbox" for the control API,
	// or "none" for a path no marketplace served owns.
	API string `json:"api"`
	// Direction is "outbound" for a request the sandbox sent (a webhook to
	// a publisher), "sandbox" for something the sandbox did on its own
	// that a reader of the journal must know of (retention forgetting
	// records); inbound entries leave it out.
	Direction string `json:"direction,omitempty"`
	// URL is where an outbound request went.
	URL    string `json:"url,omitempty"`
	Method string `json:"method"`
	// Path is the escaped path, as routes see it.
	Path    string `json:"path"`
	Query   string `json:"query,omitempty"`
	Partner string `json:"partner,omitempty"`
	Client  string `json:"client,omitempty"`
	// Credential names the bearer token an inbound request carried
	// without showing it: "bearer:" and the first 12 hex digits of its
	// SHA-256, so that a reader (or a certification verdict) sees which
	// requests shared one token.
	Credential string `json:"credential,omitempty"`
	// Status is the status written, 0 when nothing was (a reset, empty or
	// hung connection, or a client that went away).
	Status int `json:"status"`
	// Latency is the real time the sandbox took to answer, or for an
	// outbound request the real time the receiver took (the sandbox
	// clock may stand still meanwhile).
	Latency   string  `json:"latency"`
	LatencyMs float64 `json:"latencyMs"`
	// Error says why an outbound request got no answer (Status 0): the
	// connection refused or reset, the timeout, a request that could not
	// be signed. Inbound entries leave it out: their failures are in the
	// status and the fault.
	Error string `json:"error,omitempty"`
	// Fault is the fault rule that fired, if any.
	Fault *Fault `json:"fault,omitempty"`
	// CorrelationIDs are the values of the marketplace's correlation
	// headers (GitLab: the inbound Zuora-Request-Id and
	// Zuora-Notification-Id, linking callouts to their deliveries).
	CorrelationIDs []string `json:"correlationIds,omitempty"`
	Request        Message  `json:"request"`
	Response       Message  `json:"response"`
}

// Fault names the fault rule that fired for a request and its effect.
type Fault struct {
	Rule   string `json:"rule"`
	Effect string `json:"effect"`
}

// Message is one side of an exchange, with secrets masked and the body cut
// to journal.body_bytes.
type Message struct {
	Headers http.Header `json:"headers,omitempty"`
	Body    string      `json:"body,omitempty"`
	// BodyBytes is the body's full length as far as it was seen.
	BodyBytes int64 `json:"bodyBytes"`
	Truncated bool  `json:"truncated,omitempty"`
}

// record is how an entry is kept until it is read: headers flattened
// into one string and bodies in one slice each, so that an entry costs a
// handful of allocations and the collector has few pointers to follow in
// a full journal. Records are never changed once stored.
type record struct {
	id                                                   uint64
	at, wall                                             time.Time
	took                                                 time.Duration
	status                                               int
	requestID, api, method, path, query, partner, client string
	credential                                           string
	url                                                  string // outbound requests only
	sandbox                                              bool   // DirectionSandbox
	err                                                  string // outbound requests only
	fault                                                *Fault
	correlationIDs                                       []string
	req, resp                                            side
	size                                                 int64
}

// side is one message of a record.
type side struct {
	headers   string // flattenHeaders' form, secrets masked
	body      []byte // secrets masked, at most body_bytes
	length    int64
	truncated bool
}

// recordOverhead approximates what a record costs beyond its strings and
// bodies: the struct in the store's slice and the rounding of its
// allocations; checked against the live heap in BenchmarkJournalMemory.
const recordOverhead = 512

// weigh estimates the memory a record holds.
func (e *record) weigh() {
	n := int64(recordOverhead + len(e.requestID) + len(e.url) + len(e.err) + len(e.path) + len(e.query) + len(e.partner) + len(e.client) +
		len(e.req.headers) + len(e.req.body) + len(e.resp.headers) + len(e.resp.body))
	for _, id := range e.correlationIDs {
		n += int64(len(id)) + 16
	}
	if e.fault != nil {
		n += int64(len(e.fault.Rule)+len(e.fault.Effect)) + 32
	}
	e.size = n
}

// Directions of journaled requests.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
	// DirectionSandbox marks an entry that is no request at all: the
	// sandbox's own doing, such as an eviction, written as Method "EVICT"
	// on the listing that lost the records, its details in the response
	// body.
	DirectionSandbox = "sandbox"
)

// direction is DirectionOutbound for a request the sandbox sent.
func (e *record) direction() string {
	if e.sandbox {
		return DirectionSandbox
	}
	if e.url != "" {
		return DirectionOutbound
	}
	return DirectionInbound
}

// entry is the record as it is shown.
func (e *record) entry() Entry {
	d := e.direction()
	if d == DirectionInbound {
		d = ""
	}
	return Entry{
		Direction: d,
		ID:        e.id, RequestID: e.requestID, At: e.at, Wall: e.wall, API: e.api, URL: e.url, Method: e.method, Path: e.path, Query: e.query,
		Partner: e.partner, Client: e.client, Credential: e.credential, Status: e.status, Error: e.err,
		Latency: e.took.String(), LatencyMs: float64(e.took.Microseconds()) / 1000,
		Fault: e.fault, CorrelationIDs: e.correlationIDs,
		Request: e.req.message(), Response: e.resp.message(),
	}
}

func (s side) message() Message {
	return Message{Headers: unflattenHeaders(s.headers), Body: string(s.body), BodyBytes: s.length, Truncated: s.truncated}
}

// recordOf is the record of an entry given to Store.Append.
func recordOf(e Entry, bodyBytes int) record {
	sideOf := func(m Message) side {
		body := []byte(m.Body)
		if len(body) > bodyBytes {
			body, m.Truncated = body[:bodyBytes], true
		}
		return side{headers: flattenHeaders(m.Headers), body: maskBodyBytes(body), length: m.BodyBytes, truncated: m.Truncated}
	}
	took, err := time.ParseDuration(e.Latency)
	if err != nil {
		took = time.Duration(e.LatencyMs * float64(time.Millisecond))
	}
	return record{
		at: e.At, wall: e.Wall, took: took, status: e.Status, requestID: e.RequestID, api: e.API, url: e.URL, err: e.Error, method: e.Method, path: e.Path,
		query: maskBody(e.Query), partner: e.Partner, client: e.Client, credential: e.Credential, fault: e.Fault,
		correlationIDs: e.CorrelationIDs, req: sideOf(e.Request), resp: sideOf(e.Response), sandbox: e.Direction == DirectionSandbox,
	}
}
