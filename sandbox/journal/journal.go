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
	// API is the marketplace ("gitlab"), or "sandbox" for the control API.
	API    string `json:"api"`
	Method string `json:"method"`
	// Path is the escaped path, as routes see it.
	Path    string `json:"path"`
	Query   string `json:"query,omitempty"`
	Partner string `json:"partner,omitempty"`
	Client  string `json:"client,omitempty"`
	// Status is the status written, 0 when nothing was (a reset, empty or
	// hung connection, or a client that went away).
	Status int `json:"status"`
	// Latency is the real time the sandbox took to answer.
	Latency   string  `json:"latency"`
	LatencyMs float64 `json:"latencyMs"`
	// Fault is the fault rule that fired, if any.
	Fault *Fault `json:"fault,omitempty"`
	// CorrelationIDs are the inbound Zuora-Request-Id and
	// Zuora-Notification-Id values, linking callouts to their deliveries.
	CorrelationIDs []string `json:"correlationIds,omitempty"`
	Request        Message  `json:"request"`
	Response       Message  `json:"response"`

	size int64
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

// entryOverhead approximates what an entry costs beyond its strings: the
// struct, the two header maps (a Go map of a few keys takes some hundred
// bytes) and their slices; measured against the live heap in
// BenchmarkJournalMemory.
const entryOverhead = 1024

// weigh estimates the memory an entry holds.
func (e *Entry) weigh() {
	n := int64(entryOverhead + len(e.RequestID) + len(e.API) + len(e.Method) + len(e.Path) + len(e.Query) +
		len(e.Partner) + len(e.Client) + len(e.Latency))
	for _, m := range []Message{e.Request, e.Response} {
		n += int64(len(m.Body))
		for k, vs := range m.Headers {
			n += int64(len(k)) + 32
			for _, v := range vs {
				n += int64(len(v)) + 16
			}
		}
	}
	for _, id := range e.CorrelationIDs {
		n += int64(len(id)) + 16
	}
	if e.Fault != nil {
		n += int64(len(e.Fault.Rule)+len(e.Fault.Effect)) + 32
	}
	e.size = n
}
