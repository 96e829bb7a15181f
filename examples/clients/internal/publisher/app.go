package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Habits are the bad habits certification looks for. The zero value is
// a well-behaved publisher.
type Habits struct {
	TokenPerCall   bool // a new Entra token before every API call
	NoJWTCheck     bool // act on any webhook, signed or not, meant for this app or not
	NoDedupe       bool // act on every delivery of a webhook, duplicates too
	NoGetOperation bool // act on the webhook's body without reading the operation
	EncodedToken   bool // resolve with the landing page's token still URL-encoded
	ActivateTwice  bool // activate each subscription twice
	SlowAck        bool // acknowledge 15 s after the webhook, past the 10 s window
	DoubleMeter    bool // post each usage event twice
}

// slowAck is the naive SlowAck's delay, past Microsoft's 10 s window.
const slowAck = 15 * time.Second

// Options is one run.
type Options struct {
	// Duration bounds the run; it ends sooner when the session says every
	// challenge has fired and this app has nothing left to do.
	Duration time.Duration
	// Quantity is the seats bought on the per-seat plan.
	Quantity int
	// MeteredPlan, when set, is also bought, activated and metered.
	MeteredPlan string
	Habits      Habits
	HTTPClient  *http.Client
	Out         io.Writer
}

// app is the publisher's app: its landing page, its webhook and what it
// knows of its subscriptions.
type app struct {
	env      Env
	opts     Options
	api      *marketplace
	verifier *verifier
	http     *http.Client

	// mu guards out, seen, active and metered.
	mu      sync.Mutex
	out     io.Writer
	seen    map[string]bool            // webhook operation ids acted on
	active  map[string]resolved        // subscriptions activated
	metered map[string]meteredResource // subscription id → its dimensions and last hour metered
	work    sync.WaitGroup             // webhooks being processed
	ctx     context.Context            // ends the app's background work
	pending int                        // webhooks queued or in progress
}

// Run serves the landing page and webhook, buys as the customer, and
// handles what the marketplace sends until o.Duration passes or the
// session is done. It prints what it did.
func Run(ctx context.Context, env Env, o Options) error {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Quantity == 0 {
		o.Quantity = 5
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	a := &app{
		env: env, opts: o, api: newMarketplace(ctx, env, o.Habits, o.HTTPClient), verifier: newVerifier(env, o.HTTPClient),
		http: o.HTTPClient, out: o.Out, seen: map[string]bool{}, active: map[string]resolved{},
		metered: map[string]meteredResource{}, ctx: ctx,
	}
	stop, err := a.listen()
	if err != nil {
		return err
	}
	defer stop()
	if err := a.buy(ctx, env.SeatPlanID, o.Quantity); err != nil {
		return err
	}
	if o.MeteredPlan != "" {
		if err := a.buy(ctx, o.MeteredPlan, 0); err != nil {
			return err
		}
	}
	a.serve(ctx)
	a.work.Wait()
	return nil
}

// listen serves the landing page and the webhook on the host:port of
// their URLs (one listener when they share it). stop shuts them down.
func (a *app) listen() (stop func(), err error) {
	routes := map[string]*http.ServeMux{}
	for _, r := range []struct {
		raw     string
		handler http.HandlerFunc
	}{{a.env.WebhookURL, a.webhook}, {a.env.LandingURL, a.landing}} {
		u, err := url.Parse(r.raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("cannot listen at %q", r.raw)
		}
		if routes[u.Host] == nil {
			routes[u.Host] = http.NewServeMux()
		}
		routes[u.Host].Handle(u.Path, r.handler)
	}
	var servers []*http.Server
	var wg sync.WaitGroup
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(ctx)
		}
		wg.Wait()
	}
	for host, mux := range routes {
		l, err := net.Listen("tcp", host)
		if err != nil {
			stop()
			return nil, fmt.Errorf("listening for the marketplace: %w", err)
		}
		s := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.printf("server: %v", err)
			}
		}()
	}
	return stop, nil
}

func (a *app) printf(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.out, format+"\n", args...)
}

// serve meters every hour and watches the session, until ctx ends or
// the session is done.
func (a *app) serve(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastSession := time.Time{}
	for {
		a.meterDue(ctx)
		if a.env.SessionURL != "" && time.Since(lastSession) >= 2*time.Second {
			lastSession = time.Now()
			if a.sessionDone(ctx) && a.idle() {
				a.printf("session: every challenge fired")
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *app) idle() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pending == 0
}
