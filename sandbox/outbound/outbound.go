// Package outbound delivers a marketplace's webhooks (Zuora's callouts,
// Microsoft's SaaS webhooks) to the partner over real HTTP, on the
// sandbox clock: attempts on a retry schedule, a per-attempt request
// (fresh headers, a fresh signature), an optional authentication
// challenge, a success policy, a timeout, and the misbehaviour scripts
// ask for (a delay; held until fired or dropped; duplicate copies; sent
// out of order). Every HTTP request, and every message not sent, is
// recorded as a Delivery. It knows no marketplace: what differs between
// vendors is a Config and a Plan.
//
// Each attempt is a job on the clock, so a frozen clock and Advance make
// a day of retries happen in a millisecond, in order. The HTTP request of
// an attempt runs through clock.Outside, without the clock's firing lock:
// a receiver that calls the sandbox back while handling the delivery (to
// read state, or to advance the clock, which fires jobs and so needs the
// lock) is served at once instead of stalling until the delivery times
// out. Everything else an attempt does (building the request, whose
// signature carries the job's due time; recording the outcome; scheduling
// the retry) happens under the lock, at the job's own time. Because the
// job that fired the attempt waits for it, an Advance answers only when
// the deliveries that fell due within it are done, along with whatever
// their receivers set off that is due within it too: "advance 2s" means
// the callout was delivered and the order it provisions is provisioned.
//
// Config.Exchanged sees every request an attempt made, answered or not
// (refused, timed out, its headers unpreparable): it is how a vendor puts
// every delivery in the request journal, the way the journal's middleware
// sees every inbound request.
//
// A reset (clock.Quiesce) cancels a request in flight; the attempt then
// records nothing, Exchanged included, since the state it belonged to is
// gone (and the reset clears the journal too).
package outbound

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// AnswerBodyLimit is how much of a receiver's answer Answered gets to read.
const AnswerBodyLimit = 64 << 10

// Delivery outcomes.
const (
	// OutcomeChallenged: a request without credentials was answered with
	// the challenge, and is repeated at once with them.
	OutcomeChallenged = "challenged"
	// OutcomeDelivered: the answer counted as success.
	OutcomeDelivered = "delivered"
	// OutcomeRetrying: it failed; the next attempt is scheduled.
	OutcomeRetrying = "retrying"
	// OutcomeAbandoned: it failed and the attempts are spent.
	OutcomeAbandoned = "abandoned"
	// OutcomeRejected: Answered ended the delivery with ErrStop (the
	// partner refused what the message asked); no retry follows.
	OutcomeRejected = "rejected"
	// OutcomeHeld: the message was not sent yet (held until fired, or
	// reordered); no HTTP request was made.
	OutcomeHeld = "held"
	// OutcomeDropped: the message will never be sent.
	OutcomeDropped = "dropped"
)

// Outcomes lists every outcome a Delivery records.
var Outcomes = []string{OutcomeChallenged, OutcomeDelivered, OutcomeRetrying, OutcomeAbandoned, OutcomeRejected, OutcomeHeld, OutcomeDropped}

// ErrStop, wrapped in the error Config.Answered returns, ends a delivery
// without success and without retries (OutcomeRejected).
var ErrStop = errors.New("the answer ends the delivery")

// Message is one webhook: the same ID and body on every attempt and copy,
// which is what lets receivers drop duplicates.
type Message struct {
	ID string
	// Event and Subject say what happened to what (an event name and a
	// subscription); they label the records and the clock's jobs.
	Event   string
	Subject string
	URL     string
	// Body is posted as is, as application/json unless Prepare says
	// otherwise.
	Body []byte
}

// Delivery is the record of one HTTP request made for a message, or of a
// message held or dropped instead (RequestID is then empty).
type Delivery struct {
	MessageID string `json:"messageId"`
	Event     string `json:"event"`
	Subject   string `json:"subject"`
	// RequestID is fresh for every request, retries and copies included.
	RequestID string    `json:"requestId,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`
	Copy      int       `json:"copy,omitempty"` // 0: the original; n: the n-th scripted duplicate
	At        time.Time `json:"at"`
	URL       string    `json:"url"`
	// Credentials says whether the request carried credentials (see
	// Config.Challenge).
	Credentials bool   `json:"credentials"`
	StatusCode  int    `json:"statusCode,omitempty"`
	Error       string `json:"error,omitempty"`
	Outcome     string `json:"outcome"`
	// Reason says why a message was held or dropped.
	Reason string `json:"reason,omitempty"`
	// Script is the script that held, dropped or copied the message.
	Script string `json:"script,omitempty"`
	// Journal links the request journal's record of the request.
	Journal string `json:"journal,omitempty"`
}

// Attempt is what Prepare knows about the request it prepares.
type Attempt struct {
	Message     Message
	RequestID   string
	Number      int
	Copy        int
	Credentials bool
}

// Answer is a receiver's answer to one request, for Config.Answered.
type Answer struct {
	Message    Message
	Attempt    int
	Copy       int
	StatusCode int
	Header     http.Header
	// Body is at most AnswerBodyLimit bytes of the answer.
	Body []byte
}

// Schedule is when a failed delivery is tried again: Attempts in all
// (at least one is made), Interval apart, or Backoff(n) after failed
// attempt n when set. Zuora retries at a fixed interval; Microsoft makes
// 500 attempts over 8 hours (Interval 8h/500, or a Backoff).
type Schedule struct {
	Attempts int
	Interval time.Duration
	Backoff  func(failed int) time.Duration
}

// after is the wait before the attempt that follows failed attempt n.
func (s Schedule) after(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	return s.Interval
}

// Config is how a vendor delivers. Only Clock and Schedule are required.
type Config struct {
	Clock  *clock.Clock
	Client *http.Client // nil: http.DefaultClient
	// Sender and Noun name the clock's jobs: "zuora" and "callout" give
	// `zuora callout "Order Processed" for A-S00000001, attempt 2`.
	Sender, Noun string
	Schedule     Schedule
	// Timeout bounds each request; 0: only the client's own timeout.
	Timeout time.Duration
	// Prepare sets the headers of each request (ids, a fresh signature,
	// Basic credentials when a.Credentials). It runs under the clock's
	// lock, at the attempt's due time; an error fails the attempt.
	Prepare func(req *http.Request, a Attempt) error
	// Challenge, when set, makes a first request without credentials;
	// an answer it recognises as the challenge is repeated at once with
	// them. Preemptive sends them on the first request all the same.
	Challenge  func(status int, h http.Header) bool
	Preemptive bool
	// Success says which statuses count as delivered; nil: any 2xx.
	Success func(status int) bool
	// Answered sees every answer, under the lock, at the attempt's time.
	// An error it returns is recorded and fails the attempt (a malformed
	// challenge, say); one wrapping ErrStop also ends the delivery, with
	// no retry (a partner's 4xx that rejects a plan change).
	Answered func(Answer) error
	// Exchanged sees every request an attempt made, the challenge's
	// first request included, whether or not an answer came, under the
	// lock at the attempt's time, before Answered judges the answer. It
	// is for the request journal; it cannot change the outcome.
	Exchanged func(Exchange)
	// Observe sees every Delivery as it is recorded.
	Observe func(Delivery)
	// NewRequestID makes request ids; nil: 32 random hex digits.
	NewRequestID func() string
	// Journal, when set, links a request id to the journal's record.
	Journal func(requestID string) string
	// Keep is how many Delivery records Deliveries keeps, the newest;
	// 0: DefaultKeep. Every delivery is also in its subject's own record
	// (an order's timeline), so a long-lived sandbox need not keep them
	// all here.
	Keep int
	// Unlisted: the dispatcher keeps no list of past deliveries
	// (Deliveries is empty) and Observe is their only record, for a
	// vendor that keeps its own bounded log (Microsoft's webhooks).
	Unlisted bool
}

// DefaultKeep is how many deliveries a dispatcher keeps by default.
const DefaultKeep = 10000

// Any2xx is the success policy that accepts every 2xx answer.
func Any2xx(status int) bool { return status >= 200 && status < 300 }

// OnlyOK is the success policy that accepts 200 and nothing else.
func OnlyOK(status int) bool { return status == http.StatusOK }

// Dispatcher schedules and delivers messages on the clock, and keeps the
// record of every delivery and the messages it holds.
type Dispatcher struct {
	cfg Config

	// counts are the deliveries recorded by outcome, in the order of
	// Outcomes, since the dispatcher was built: Reset keeps them, so a
	// metric read from them never goes down.
	counts []atomic.Uint64

	// mu guards every field below.
	mu sync.Mutex
	// deliveries[head:] are kept, oldest first; dropped counts those
	// dropped for Keep.
	deliveries []Delivery
	head       int
	dropped    uint64
	held       []*heldMessage
	// busy counts, by subject, the deliveries still to finish: a message
	// scheduled, held, or being retried, and each of its copies.
	busy map[string]int
}

// New returns a dispatcher delivering as cfg says.
func New(cfg Config) *Dispatcher {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Success == nil {
		cfg.Success = Any2xx
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = RandomID
	}
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	return &Dispatcher{cfg: cfg, busy: map[string]int{}, counts: make([]atomic.Uint64, len(Outcomes))}
}

// RandomID is 32 random hex digits (Zuora's id format).
func RandomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Deliveries lists the newest Config.Keep deliveries recorded, oldest
// first.
func (d *Dispatcher) Deliveries() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.deliveries[d.head:]...)
}

// Dropped is how many deliveries were recorded but are no longer kept.
func (d *Dispatcher) Dropped() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// Busy reports whether a delivery for subject is still to finish: it is
// scheduled, held, being retried, or one of its copies is. A subject that
// is busy still changes; a store keeps it whatever its retention says.
func (d *Dispatcher) Busy(subject string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.busy[subject] > 0
}

// begin and finish count the deliveries of a subject still to finish.
func (d *Dispatcher) begin(subject string, n int) {
	if n <= 0 {
		return
	}
	d.mu.Lock()
	d.busy[subject] += n
	d.mu.Unlock()
}

func (d *Dispatcher) finish(subject string) {
	d.mu.Lock()
	d.finishLocked(subject)
	d.mu.Unlock()
}

func (d *Dispatcher) finishLocked(subject string) {
	if d.busy[subject] <= 1 {
		delete(d.busy, subject)
		return
	}
	d.busy[subject]--
}

// Count is how many deliveries were recorded with outcome since the
// dispatcher was built, resets included (for the sandbox's metrics).
func (d *Dispatcher) Count(outcome string) uint64 {
	if i := slices.Index(Outcomes, outcome); i >= 0 {
		return d.counts[i].Load()
	}
	return 0
}

// Reset forgets past deliveries and held messages. Pending attempts live
// on the clock, which the sandbox clears in the same clock.Quiesce.
func (d *Dispatcher) Reset() {
	d.mu.Lock()
	d.deliveries, d.head, d.dropped = nil, 0, 0
	d.held = nil
	d.busy = map[string]int{}
	d.mu.Unlock()
}

func (d *Dispatcher) record(del Delivery) {
	if i := slices.Index(Outcomes, del.Outcome); i >= 0 {
		d.counts[i].Add(1)
	}
	d.mu.Lock()
	d.keepLocked(del)
	d.mu.Unlock()
	if d.cfg.Observe != nil {
		d.cfg.Observe(del)
	}
}

// keepLocked appends del, dropping the oldest past Config.Keep, unless
// the dispatcher is Unlisted; the dropped prefix is compacted away once
// it is half the slice.
func (d *Dispatcher) keepLocked(del Delivery) {
	if d.cfg.Unlisted {
		return
	}
	d.deliveries = append(d.deliveries, del)
	if len(d.deliveries)-d.head <= d.cfg.Keep {
		return
	}
	d.deliveries[d.head] = Delivery{}
	d.head++
	d.dropped++
	if d.head >= len(d.deliveries)/2 {
		n := copy(d.deliveries, d.deliveries[d.head:])
		clear(d.deliveries[n:])
		d.deliveries, d.head = d.deliveries[:n], 0
	}
}
