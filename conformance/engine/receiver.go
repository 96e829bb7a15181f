package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// Receiver is the publisher's side of the wire: an HTTP server the target
// delivers Microsoft's webhooks to. It records every delivery and answers
// each as the running scenario said (200 by default). One Receiver serves
// one Runner; scenarios that use it run one at a time (they need
// "webhooks", so they are Serial).
type Receiver struct {
	ln  net.Listener
	srv *http.Server
	url string

	mu         sync.Mutex
	seq        int
	deliveries []*delivery
	// arrived is closed (and replaced) when a delivery arrives.
	arrived chan struct{}
	// answer is the running scenario's; answered counts its uses.
	answer   *scenario.WebhookAnswer
	answered int
}

// delivery is one request the receiver got, and how it answered.
type delivery struct {
	seq      int
	at       time.Time
	method   string
	path     string
	header   http.Header
	body     []byte
	status   int
	noAnswer bool
	delay    time.Duration
}

// maxDeliveries bounds what a Receiver keeps: a run's scenarios each look
// only at the deliveries of their own time.
const maxDeliveries = 10000

// maxDeliveryBody bounds what is read of one delivery.
const maxDeliveryBody = 1 << 20

// NewReceiver listens on listen (host:port; port 0 picks one) and returns
// the running receiver. publicURL is the address the target must call
// when it cannot reach listen as written (the target runs in a container
// or on another host); empty means http://<the listening address>/.
func NewReceiver(listen, publicURL string) (*Receiver, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String() + "/"
	}
	r := &Receiver{ln: ln, url: publicURL, arrived: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL is where the target must deliver webhooks.
func (r *Receiver) URL() string { return r.url }

// Addr is the address the receiver listens on.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// Close stops the receiver; deliveries in progress are cut.
func (r *Receiver) Close() error { return r.srv.Close() }

// ServeHTTP records a delivery and answers it as the scenario set.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxDeliveryBody))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d := &delivery{at: time.Now(), method: req.Method, path: req.URL.RequestURI(), header: req.Header.Clone(), body: body, status: http.StatusOK}
	r.mu.Lock()
	if a := r.answer; a != nil && (a.Times == 0 || r.answered < a.Times) {
		r.answered++
		d.status, d.noAnswer, d.delay = a.Status, a.NoAnswer, time.Duration(a.Delay)
		if d.status == 0 {
			d.status = http.StatusOK
		}
	}
	r.seq++
	d.seq = r.seq
	r.deliveries = append(r.deliveries, d)
	if len(r.deliveries) > maxDeliveries {
		r.deliveries = r.deliveries[len(r.deliveries)-maxDeliveries:]
	}
	close(r.arrived)
	r.arrived = make(chan struct{})
	r.mu.Unlock()
	if d.delay > 0 {
		t := time.NewTimer(d.delay)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return
		}
	}
	if d.noAnswer {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	w.WriteHeader(d.status)
}

// mark is the sequence number of the newest delivery: a scenario looks at
// those after it.
func (r *Receiver) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// respond sets the answer to the deliveries that follow (nil: 200).
func (r *Receiver) respond(a *scenario.WebhookAnswer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer, r.answered = a, 0
}

// since returns the deliveries after seq, and a channel closed when the
// next one arrives.
func (r *Receiver) since(seq int) ([]*delivery, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*delivery
	for _, d := range r.deliveries {
		if d.seq > seq {
			out = append(out, d)
		}
	}
	return out, r.arrived
}

// wait returns the deliveries after seq that keep satisfies, as soon as
// there are count of them, or those found when ctx ends or timeout
// passes.
func (r *Receiver) wait(ctx context.Context, seq, count int, timeout time.Duration, keep func(*delivery) bool) ([]*delivery, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		all, next := r.since(seq)
		var found []*delivery
		for _, d := range all {
			if keep(d) {
				found = append(found, d)
			}
		}
		if len(found) >= count {
			return found[:count], nil
		}
		select {
		case <-next:
		case <-t.C:
			return found, nil
		case <-ctx.Done():
			return found, ctx.Err()
		}
	}
}

// exchange records a delivery like a request the harness made: the
// target's request, and the receiver's answer.
func (d *delivery) exchange(m *masker, receiverURL string) Exchange {
	ex := Exchange{Purpose: "webhook delivered to the harness", Method: d.method, URL: strings.TrimRight(receiverURL, "/") + d.path,
		RequestHeaders: m.header(d.header), RequestBody: m.body(d.body, d.header.Get("Content-Type")), Status: d.status, Duration: d.delay}
	if d.noAnswer {
		ex.Status, ex.Error = 0, "the receiver closed the connection without an answer, as the scenario asked"
	}
	return ex
}

// errNoReceiver is a webhook step in a run without a receiver.
var errNoReceiver = errors.New("this run has no webhook receiver (--webhook-listen off)")
