package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runningSandbox serves a sandbox with its Run going, until the test ends.
func runningSandbox(t *testing.T, change func(*Config)) (*Sandbox, *httptest.Server) {
	t.Helper()
	cfg := DefaultConfig()
	if change != nil {
		change(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sb.Run(ctx) }()
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return sb, srv
}

func openFor(t *testing.T, srv *httptest.Server, api string) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/_sandbox/sessions", "application/json", strings.NewReader(`{"api":"`+api+`"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("open: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestEndingASessionFreesItsSandbox: once a session ends, nothing holds
// its sandbox: the collector reclaims it (and with it every order, token
// and journal entry it held).
func TestEndingASessionFreesItsSandbox(t *testing.T) {
	sb, srv := runningSandbox(t, nil)
	for _, api := range []string{"gitlab", "microsoft"} {
		t.Run(api, func(t *testing.T) {
			openFor(t, srv, api)
			sessions := sb.sessions.list()
			sess := sessions[len(sessions)-1]
			var freed atomic.Bool
			runtime.AddCleanup(sess.box, func(*atomic.Bool) { freed.Store(true) }, &freed)
			id := sess.id
			sess = nil
			sessions = nil
			req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/_sandbox/sessions/"+id, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE: %v %v", err, resp)
			}
			resp.Body.Close()
			deadline := time.Now().Add(5 * time.Second)
			for !freed.Load() {
				if time.Now().After(deadline) {
					t.Fatal("the ended session's sandbox is still referenced")
				}
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestAnIdleSessionEnds: a session no request reached for
// sessions.idle_timeout (wall time) is ended; one in use is kept.
func TestAnIdleSessionEnds(t *testing.T) {
	sb, srv := runningSandbox(t, func(c *Config) { c.Sessions.IdleTimeout = time.Minute })
	openFor(t, srv, "gitlab")
	openFor(t, srv, "gitlab")
	list := sb.sessions.list()
	idle, busy := list[0], list[1]
	later := time.Now().Add(2 * time.Minute)
	busy.touch(later)
	sb.sessions.now = func() time.Time { return later.Add(time.Second) }
	sb.sessions.endIdle()
	if _, ok := sb.sessions.get(idle.id); ok {
		t.Error("the idle session is still open")
	}
	if _, ok := sb.sessions.get(busy.id); !ok {
		t.Error("the session in use was ended")
	}
}
