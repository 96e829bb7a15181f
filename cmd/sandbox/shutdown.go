package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// inflight counts the requests being served, so that a shutdown can say
// how many it cut and wait for their handlers to return.
type inflight struct {
	mu sync.Mutex
	n  int
	// idle is closed when n falls to 0.
	idle chan struct{}
}

// track wraps h so that every request is counted while it runs.
func (f *inflight) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.begin()
		defer f.end()
		h.ServeHTTP(w, r)
	})
}

func (f *inflight) begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
}

func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// drained is closed once no request is running.
func (f *inflight) drained() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	return f.idle
}

// handlerExit bounds the wait, after connections are closed, for handlers
// to notice and return.
const handlerExit = time.Second

// shutdown stops srv as a requested shutdown should: it stops accepting,
// lets requests in flight finish within grace, then closes the connections
// of those that did not and logs how many were cut. Running out of grace
// is not a failure (the exit status stays 0): the shutdown was asked for,
// and a supervisor that reads a non-zero status as a crash would restart
// or alert for nothing.
func shutdown(srv *http.Server, reqs *inflight, grace time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	cut := reqs.count()
	_ = srv.Close() // its only error is the listener's, closed already by Shutdown
	select {
	case <-reqs.drained():
	case <-time.After(handlerExit):
		log.Warn("handlers still running after their connections were closed", "requests", reqs.count())
	}
	log.Warn("shutdown grace over: closed the connections left open", "grace", grace.String(), "requests_cut", cut)
	return nil
}
