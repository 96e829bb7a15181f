// Package emulatorfake is a test double of Microsoft's Node
// "Commercial-Marketplace-SaaS-API-Emulator"
// (github.com/microsoft/Commercial-Marketplace-SaaS-API-Emulator), built
// only from the facts recorded in the research file /work/wt/emulator.md
// (those facts should later move into docs/). It exists so the conformance
// harness's emulator control adapter can be tested without Node: the
// adapter drives this imitation, and the tests prove the harness reports
// the emulator's known deviations by requirement and fails nothing because
// of its own mistakes.
//
// Fidelity to the emulator is the point, bugs included: activate succeeds
// on Suspended, list operations is a bare array, a marketplace event in the
// wrong state is never answered, and so on. Nothing here is fixed to match
// Microsoft's documentation. It is not a product and keeps its state in
// memory only (the emulator's data.json is left out).
package emulatorfake

import (
	"context"
	"crypto/tls"
	"net/http"
	"sync"
	"time"
)

// Emulator imitates one running emulator process: its configuration, its
// offer catalogue, its per-publisher subscriptions and operations, and the
// timers that settle operations and call webhooks.
type Emulator struct {
	state   *store
	client  *http.Client
	handler http.Handler

	// background work: every timer the emulator starts, so Close can stop
	// them; ctx cancels webhook POSTs in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards timers and closed.
	mu     sync.Mutex
	timers map[*time.Timer]struct{}
	closed bool
}

// Option changes one setting of New.
type Option func(*settings)

type settings struct {
	patchDelay       time.Duration
	operationTimeout time.Duration
	updateDelay      time.Duration
	webhookURL       string
	client           *http.Client
}

// WithWebhookPatchDelay sets webhookCallPatchDelayMS, how long the
// emulator waits after a 2xx webhook answer before it accepts a ChangePlan
// or ChangeQuantity still InProgress. The emulator's default is 10 s.
func WithWebhookPatchDelay(d time.Duration) Option {
	return func(s *settings) { s.patchDelay = d }
}

// WithOperationTimeout sets operationTimeoutMS, how long a settled or
// publisher-started operation stays InProgress. The emulator's default is 0.
func WithOperationTimeout(d time.Duration) Option {
	return func(s *settings) { s.operationTimeout = d }
}

// WithSubscriptionUpdateDelay sets subscriptionUpdateDelayMS, how long
// after an operation succeeds the emulator changes the subscription. The
// emulator's default is 0 (a timer all the same: the change comes after
// the request that caused it has been answered).
func WithSubscriptionUpdateDelay(d time.Duration) Option {
	return func(s *settings) { s.updateDelay = d }
}

// WithWebhookURL sets webhookUrl, where marketplace events are POSTed
// exactly as given. The real emulator defaults to its built-in /webhook;
// this fake defaults to none, so nothing is sent until one is set here or
// through PATCH /api/util/config.
func WithWebhookURL(u string) Option {
	return func(s *settings) { s.webhookURL = u }
}

// WithHTTPClient sets the client that POSTs webhooks. The default has no
// timeout and accepts any certificate, as the emulator sets
// NODE_TLS_REJECT_UNAUTHORIZED=0.
func WithHTTPClient(c *http.Client) Option {
	return func(s *settings) { s.client = c }
}

// New returns an emulator with the built-in sample offers and no
// subscriptions.
func New(opts ...Option) *Emulator {
	s := settings{patchDelay: 10 * time.Second}
	for _, o := range opts {
		o(&s)
	}
	if s.client == nil {
		s.client = &http.Client{Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // as NODE_TLS_REJECT_UNAUTHORIZED=0
		}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		state:  newStore(defaultConfig(s)),
		client: s.client,
		ctx:    ctx,
		cancel: cancel,
		timers: map[*time.Timer]struct{}{},
	}
	e.handler = e.routes()
	return e
}

// ServeHTTP answers one request as the emulator's Express app would.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handler.ServeHTTP(w, r)
}

// Close stops every pending timer, cancels webhook calls in flight,
// releases requests left hanging by wrong-state events, and waits for
// running timer work to end. The emulator answers nothing useful after.
func (e *Emulator) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	for t := range e.timers {
		if t.Stop() {
			e.wg.Done()
		}
	}
	e.timers = nil
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
}

// after runs f once d has passed, like the emulator's setTimeout: even a
// zero delay runs later, never inside the request. A reset does not cancel
// it (the emulator's timers then find nothing); Close does.
func (e *Emulator) after(d time.Duration, f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer e.wg.Done()
		e.mu.Lock()
		closed := e.closed
		delete(e.timers, t)
		e.mu.Unlock()
		if !closed {
			f()
		}
	})
	e.timers[t] = struct{}{}
}
