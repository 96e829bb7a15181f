package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// exchanges collects what Config.Exchanged sees, as a journal would.
type exchanges struct {
	// mu guards got.
	mu  sync.Mutex
	got []outbound.Exchange
}

func (e *exchanges) add(x outbound.Exchange) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, x)
}

func (e *exchanges) list() []outbound.Exchange {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]outbound.Exchange(nil), e.got...)
}

// journaled builds a dispatcher whose Prepare signs every request (a
// bearer token and the attempt's id, as Microsoft's does) and whose
// exchanges are collected.
func journaled(t *testing.T, cfg outbound.Config) (*fixture, *exchanges) {
	t.Helper()
	ex := &exchanges{}
	if cfg.Prepare == nil {
		cfg.Prepare = func(req *http.Request, a outbound.Attempt) error {
			req.Header.Set("Authorization", "Bearer token-for-"+a.RequestID)
			req.Header.Set("X-Request-Id", a.RequestID)
			return nil
		}
	}
	cfg.Exchanged = ex.add
	return newFixture(t, cfg), ex
}

// closedURL is a loopback address nothing listens on any more.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/hook"
	l.Close()
	return url
}

// TestEveryAttemptIsExchanged: Exchanged sees every request an attempt
// made, with the attempt's own request id, the headers Prepare set, the
// body, the attempt's clock time and the real time it took, and the
// answer, or the error when none came; the Delivery records agree.
func TestEveryAttemptIsExchanged(t *testing.T) {
	t.Run("an answered attempt carries the request and the answer", func(t *testing.T) {
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Receiver", "r1")
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"ok":true}`))
		})
		f, ex := journaled(t, outbound.Config{})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{Delay: time.Second})
		f.advance(t, time.Minute)
		got, dels := ex.list(), f.d.Deliveries()
		if len(got) != 1 || len(dels) != 1 {
			t.Fatalf("%d exchanges, %d deliveries; want 1 each", len(got), len(dels))
		}
		x := got[0]
		if x.RequestID == "" || x.RequestID != dels[0].RequestID || x.RequestID != rc.requests()[0].Header.Get("X-Request-Id") {
			t.Errorf("request id %q; delivery %q; sent %q", x.RequestID, dels[0].RequestID, rc.requests()[0].Header.Get("X-Request-Id"))
		}
		if x.Header.Get("Authorization") != "Bearer token-for-"+x.RequestID || x.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request header %v", x.Header)
		}
		if x.Message.ID != "m" || x.Attempt != 1 || x.Copy != 0 || x.Method != http.MethodPost || x.URL != rc.URL || string(x.Body) != `{"id":"m"}` {
			t.Errorf("exchange %+v", x)
		}
		if !x.At.Equal(epoch.Add(time.Second)) || x.Took <= 0 {
			t.Errorf("at %s (want the attempt's clock time), took %s (want real time)", x.At, x.Took)
		}
		if x.StatusCode != http.StatusAccepted || x.ResponseHeader.Get("X-Receiver") != "r1" || string(x.ResponseBody) != `{"ok":true}` || x.Err != nil {
			t.Errorf("answer %d %v %q, err %v", x.StatusCode, x.ResponseHeader, x.ResponseBody, x.Err)
		}
	})

	t.Run("a refused connection is exchanged on every attempt, with its error", func(t *testing.T) {
		f, ex := journaled(t, outbound.Config{Schedule: outbound.Schedule{Attempts: 2, Interval: 30 * time.Minute}})
		f.d.Schedule(message("m", closedURL(t)), outbound.Plan{})
		f.advance(t, time.Hour)
		sameStrings(t, "deliveries", f.outcomes(), []string{"m 1/0 retrying @0s", "m 2/0 abandoned @30m0s"})
		got := ex.list()
		if len(got) != 2 {
			t.Fatalf("%d exchanges, want one per attempt", len(got))
		}
		for i, x := range got {
			if x.Attempt != i+1 || x.StatusCode != 0 || !errors.Is(x.Err, syscall.ECONNREFUSED) || x.Header.Get("Authorization") == "" {
				t.Errorf("exchange %d: attempt %d, status %d, err %v, header %v", i+1, x.Attempt, x.StatusCode, x.Err, x.Header)
			}
			if !x.At.Equal(epoch.Add(time.Duration(i) * 30 * time.Minute)) {
				t.Errorf("exchange %d at %s", i+1, x.At)
			}
		}
		if got[0].RequestID == got[1].RequestID {
			t.Error("two attempts shared a request id")
		}
	})

	t.Run("a timeout is exchanged with the deadline as its error", func(t *testing.T) {
		rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		f, ex := journaled(t, outbound.Config{Timeout: 50 * time.Millisecond, Schedule: outbound.Schedule{Attempts: 1}})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{})
		f.advance(t, 0)
		got := ex.list()
		if len(got) != 1 || got[0].StatusCode != 0 || !errors.Is(got[0].Err, context.DeadlineExceeded) || got[0].Took < 50*time.Millisecond {
			t.Fatalf("exchanges %+v, want one timed out after 50ms", got)
		}
		if d := f.d.Deliveries(); d[0].Error != got[0].Err.Error() {
			t.Errorf("delivery error %q, exchange error %q", d[0].Error, got[0].Err)
		}
	})

	t.Run("a Prepare error is exchanged with the headers as far as they got", func(t *testing.T) {
		rc := newReceiver(t, statuses(200))
		f, ex := journaled(t, outbound.Config{
			Schedule: outbound.Schedule{Attempts: 1},
			Prepare: func(req *http.Request, a outbound.Attempt) error {
				req.Header.Set("X-Request-Id", a.RequestID)
				return errors.New("no signing key")
			},
		})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{})
		f.advance(t, 0)
		got := ex.list()
		if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "no signing key") {
			t.Fatalf("exchanges %+v, want one naming the Prepare error, nothing sent", got)
		}
		if x := got[0]; x.Header.Get("X-Request-Id") != x.RequestID || x.StatusCode != 0 || len(rc.requests()) != 0 {
			t.Errorf("exchange %+v, %d requests", x, len(rc.requests()))
		}
	})

	t.Run("the challenge's two requests are two exchanges", func(t *testing.T) {
		rc := newReceiver(t, demandBasic)
		f, ex := journaled(t, outbound.Config{
			Challenge: basicChallenge,
			Prepare: func(req *http.Request, a outbound.Attempt) error {
				if a.Credentials {
					req.SetBasicAuth("zuora", "secret")
				}
				return nil
			},
		})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{})
		f.advance(t, 0)
		got := ex.list()
		if len(got) != 2 {
			t.Fatalf("%d exchanges, want the challenged request and its repeat", len(got))
		}
		first, second := got[0], got[1]
		if first.Credentials || first.Header.Get("Authorization") != "" || first.StatusCode != http.StatusUnauthorized ||
			!strings.HasPrefix(first.ResponseHeader.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("first: %+v", first)
		}
		if !second.Credentials || !strings.HasPrefix(second.Header.Get("Authorization"), "Basic ") || second.StatusCode != http.StatusOK {
			t.Errorf("second: %+v", second)
		}
		if first.Attempt != 1 || second.Attempt != 1 || first.RequestID == second.RequestID {
			t.Errorf("attempts %d, %d; ids %q, %q", first.Attempt, second.Attempt, first.RequestID, second.RequestID)
		}
	})

	t.Run("duplicate copies are exchanged each with its copy number", func(t *testing.T) {
		rc := newReceiver(t, statuses(200))
		f, ex := journaled(t, outbound.Config{})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{Copies: 2, CopiesScript: "dup"})
		f.advance(t, 0)
		got := ex.list()
		if len(got) != 3 {
			t.Fatalf("%d exchanges, want the original and two copies", len(got))
		}
		ids := map[string]bool{}
		for i, x := range got {
			ids[x.RequestID] = true
			if x.Copy != i || x.Message.ID != "m" || x.StatusCode != http.StatusOK {
				t.Errorf("exchange %d: copy %d, message %q, status %d", i, x.Copy, x.Message.ID, x.StatusCode)
			}
		}
		if len(ids) != 3 {
			t.Errorf("%d distinct request ids over 3 requests", len(ids))
		}
	})
}

// TestExchangedComesBeforeAnswered: the journal hook sees an answer
// before Answered judges it, and Answered's verdict (here ErrStop) alone
// decides the outcome.
func TestExchangedComesBeforeAnswered(t *testing.T) {
	rc := newReceiver(t, statuses(http.StatusBadRequest))
	var order []string // the clock's job calls both hooks, one after the other
	f := newFixture(t, outbound.Config{
		Exchanged: func(x outbound.Exchange) { order = append(order, "exchanged "+http.StatusText(x.StatusCode)) },
		Answered: func(outbound.Answer) error {
			order = append(order, "answered")
			return outbound.ErrStop
		},
	})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.advance(t, time.Hour)
	sameStrings(t, "deliveries", f.outcomes(), []string{"m 1/0 rejected @0s"})
	sameStrings(t, "hooks", order, []string{"exchanged Bad Request", "answered"})
}
