package fault

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Injector is the middleware that applies a store's rules to requests.
type Injector struct {
	store *Store
	apis  map[string]API
	apiOf func(*http.Request) string
	// internal tells a marketplace's own back-office traffic (nil: none).
	internal func(*http.Request) bool
	onFire   func(w http.ResponseWriter, r *http.Request, ruleID, effect string)
	// fired, when set, counts the firing (the sandbox's metrics).
	fired   func(api, ruleID, kind string)
	maxHang time.Duration

	stopOnce sync.Once
	stop     chan struct{}
}

// InjectorOption configures an Injector.
type InjectorOption func(*Injector)

// WithOnFire is told, before the effect is applied, which rule fired for a
// request and what its effect is (e.g. "status 503", "latency 120ms +
// reset"), so that a request journal can record it.
func WithOnFire(f func(w http.ResponseWriter, r *http.Request, ruleID, effect string)) InjectorOption {
	return func(in *Injector) { in.onFire = f }
}

// WithFired is told which rule fired for a marketplace and the kind of
// its effect (Kind: the drawn latency left out, so that a metric labelled
// with it stays a handful of series).
func WithFired(f func(api, ruleID, kind string)) InjectorOption {
	return func(in *Injector) { in.fired = f }
}

// WithInternal says which requests are a marketplace's own back office
// calling it (the fake Zuora's callouts into the portal): only a rule
// whose path names them fires on those, never one that matches any path,
// so that a fault meant for a partner's traffic never breaks the
// sandbox's own.
func WithInternal(f func(*http.Request) bool) InjectorOption {
	return func(in *Injector) { in.internal = f }
}

// WithMaxHang bounds how long a hang (and any delay) holds a request when
// the client does not give up first (default DefaultMaxHang).
func WithMaxHang(d time.Duration) InjectorOption { return func(in *Injector) { in.maxHang = d } }

// DefaultMaxHang is the longest a request hangs by default.
const DefaultMaxHang = time.Minute

// NewInjector builds the middleware for store. apiOf names the marketplace
// a request is for, or "" for requests that must never be faulted (the
// /_sandbox control API).
func NewInjector(store *Store, apiOf func(*http.Request) string, opts ...InjectorOption) *Injector {
	in := &Injector{store: store, apis: map[string]API{}, apiOf: apiOf, maxHang: DefaultMaxHang,
		onFire: func(http.ResponseWriter, *http.Request, string, string) {}, stop: make(chan struct{})}
	for _, a := range store.apis {
		in.apis[a.Name] = a
	}
	for _, opt := range opts {
		opt(in)
	}
	return in
}

// Close releases every request that is hanging or delayed, so that a
// server shutdown is not held up by faults.
func (in *Injector) Close() { in.stopOnce.Do(func() { close(in.stop) }) }

// Wrap faults the requests next would serve. With no rule it costs one
// atomic load.
func (in *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.store.Empty() {
			next.ServeHTTP(w, r)
			return
		}
		api := in.apiOf(r)
		if api == "" {
			next.ServeHTTP(w, r)
			return
		}
		d, ok := in.decide(r, api)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		in.apply(w, r, next, api, d)
	})
}

func (in *Injector) decide(r *http.Request, api string) (Decision, bool) {
	req := Request{API: api, Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header,
		Internal: in.internal != nil && in.internal(r)}
	if a := in.apis[api]; in.store.NeedsIdentity() && a.Identify != nil {
		req.Partner, req.Client = a.Identify(r)
	}
	return in.store.Decide(req)
}

// apply waits out the delay, then answers with the status, breaks the
// transport, or lets next answer.
func (in *Injector) apply(w http.ResponseWriter, r *http.Request, next http.Handler, api string, d Decision) {
	e := d.Effect
	in.onFire(w, r, d.RuleID, Describe(d))
	if in.fired != nil {
		in.fired(api, d.RuleID, Kind(d))
	}
	if d.Delay > 0 && !in.wait(r.Context(), min(d.Delay, in.maxHang)) {
		return // the client went away, or the sandbox is stopping
	}
	switch {
	case e.Status != 0:
		retry := e.RetryAfter
		if retry == nil && (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable) {
			def := Duration(DefaultRetryAfter)
			retry = &def
		}
		if retry != nil {
			secs := (time.Duration(*retry) + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		}
		in.apis[api].WriteFault(w, r, e.Status, e.Message)
	case e.Transport != "":
		in.breakTransport(w, r, next, e.Transport)
	default:
		next.ServeHTTP(w, r)
	}
}

// wait sleeps d of real time (what the client experiences), returning
// false early when the request's context ends or the injector closes.
func (in *Injector) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-in.stop:
	}
	return false
}

// Describe names the effect of a decision for logs and the journal:
// "status 503", "latency 120ms", "latency 80ms + reset".
func Describe(d Decision) string {
	var parts []string
	if d.Effect.Latency != nil {
		parts = append(parts, "latency "+d.Delay.String())
	}
	if d.Effect.Status != 0 {
		parts = append(parts, "status "+strconv.Itoa(d.Effect.Status))
	}
	if d.Effect.Transport != "" {
		parts = append(parts, string(d.Effect.Transport))
	}
	return strings.Join(parts, " + ")
}

// Kind names the effect of a decision as Describe does, without the
// latency drawn: "status 503", "latency", "latency + reset".
func Kind(d Decision) string {
	d.Delay = 0
	return strings.Replace(Describe(d), "latency 0s", "latency", 1)
}
