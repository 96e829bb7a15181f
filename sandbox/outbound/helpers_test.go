package outbound_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// received is one request a test receiver got.
type received struct {
	Header http.Header
	Body   string
	User   string // Basic user, "" without credentials
}

// receiver is a partner's webhook endpoint whose answers a test scripts.
type receiver struct {
	*httptest.Server
	// mu guards got and answer.
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

// newReceiver answers every request with answer(n), n counting from 1.
func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, _, _ := r.BasicAuth()
		rc.mu.Lock()
		rc.got = append(rc.got, received{Header: r.Header.Clone(), Body: string(body), User: user})
		n := len(rc.got)
		rc.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// statuses answers the n-th request with codes[n-1], and the last code
// once they run out.
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[min(n, len(codes))-1])
	}
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// fixture is a dispatcher on a frozen clock.
type fixture struct {
	clock *clock.Clock
	d     *outbound.Dispatcher
}

// newFixture builds a dispatcher from cfg, filling in the clock, names
// and a 3-attempt, 30-minute schedule unless cfg sets them.
func newFixture(t *testing.T, cfg outbound.Config) *fixture {
	t.Helper()
	c := clock.New(clock.WithFrozen(epoch))
	cfg.Clock = c
	if cfg.Sender == "" {
		cfg.Sender, cfg.Noun = "vendor", "webhook"
	}
	if cfg.Schedule.Attempts == 0 {
		cfg.Schedule = outbound.Schedule{Attempts: 3, Interval: 30 * time.Minute}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &fixture{clock: c, d: outbound.New(cfg)}
}

func message(id, url string) outbound.Message {
	return outbound.Message{ID: id, Event: "Created", Subject: "sub-" + id, URL: url, Body: []byte(`{"id":"` + id + `"}`)}
}

// advance moves the clock and fails the test if that stalls.
func (f *fixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { f.clock.Advance(context.Background(), d); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("advancing %s stalled", d)
	}
}

// outcomes lists each delivery as "message/attempt/copy outcome @offset".
func (f *fixture) outcomes() []string {
	var out []string
	for _, d := range f.d.Deliveries() {
		out = append(out, fmt.Sprintf("%s %d/%d %s @%s", d.MessageID, d.Attempt, d.Copy, d.Outcome, d.At.Sub(epoch)))
	}
	return out
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
}
