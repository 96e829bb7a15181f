package outbound_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// TestRetriesFollowTheSchedule: a failed delivery is tried again on the
// schedule, each attempt at its own due time, until one succeeds or the
// attempts run out; the clock's jobs are named after the message.
func TestRetriesFollowTheSchedule(t *testing.T) {
	cases := []struct {
		name     string
		schedule outbound.Schedule
		codes    []int
		want     []string
	}{
		{"succeeds on the third attempt", outbound.Schedule{Attempts: 3, Interval: 30 * time.Minute}, []int{500, 503, 200},
			[]string{"m 1/0 retrying @1s", "m 2/0 retrying @30m1s", "m 3/0 delivered @1h0m1s"}},
		{"abandoned once the attempts are spent", outbound.Schedule{Attempts: 2, Interval: time.Minute}, []int{500},
			[]string{"m 1/0 retrying @1s", "m 2/0 abandoned @1m1s"}},
		{"a backoff replaces the interval", outbound.Schedule{Attempts: 4, Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }},
			[]int{500}, []string{"m 1/0 retrying @1s", "m 2/0 retrying @1m1s", "m 3/0 retrying @3m1s", "m 4/0 abandoned @6m1s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, statuses(tc.codes...))
			f := newFixture(t, outbound.Config{Schedule: tc.schedule})
			f.d.Schedule(message("m", rc.URL), outbound.Plan{Delay: time.Second})
			if p := f.clock.Pending(); len(p) != 1 || p[0].Name != `vendor webhook "Created" for sub-m` {
				t.Fatalf("pending %+v, want the first attempt", p)
			}
			f.advance(t, 2*time.Second)
			if p := f.clock.Pending(); len(p) != 1 || p[0].Name != `vendor webhook "Created" for sub-m, attempt 2` {
				t.Fatalf("pending %+v, want the second attempt", p)
			}
			f.advance(t, 24*time.Hour)
			sameStrings(t, "deliveries", f.outcomes(), tc.want)
		})
	}
}

// TestEveryAttemptIsPreparedAfresh: each request has its own request id
// and whatever Prepare sets at the attempt's due time (Microsoft signs a
// new token per attempt); a Prepare error fails the attempt.
func TestEveryAttemptIsPreparedAfresh(t *testing.T) {
	rc := newReceiver(t, statuses(500, 200))
	var f *fixture
	f = newFixture(t, outbound.Config{
		Prepare: func(req *http.Request, a outbound.Attempt) error {
			req.Header.Set("Authorization", fmt.Sprintf("Bearer issued-%s-attempt-%d", f.clock.Now().Sub(epoch), a.Number))
			req.Header.Set("X-Request-Id", a.RequestID)
			return nil
		},
		Journal: func(id string) string { return "/journal/" + id },
	})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.advance(t, time.Hour)
	got, dels := rc.requests(), f.d.Deliveries()
	if len(got) != 2 || len(dels) != 2 {
		t.Fatalf("%d requests, %d deliveries; want 2 each", len(got), len(dels))
	}
	for i, want := range []string{"Bearer issued-0s-attempt-1", "Bearer issued-30m0s-attempt-2"} {
		if a := got[i].Header.Get("Authorization"); a != want {
			t.Errorf("request %d: Authorization %q, want %q", i+1, a, want)
		}
		if id := got[i].Header.Get("X-Request-Id"); id != dels[i].RequestID || dels[i].Journal != "/journal/"+id {
			t.Errorf("request %d: id %q, delivery %+v", i+1, id, dels[i])
		}
		if got[i].Body != `{"id":"m"}` || got[i].Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: body %q, type %q", i+1, got[i].Body, got[i].Header.Get("Content-Type"))
		}
	}
	if dels[0].RequestID == dels[1].RequestID {
		t.Error("two attempts shared a request id")
	}

	broken := newFixture(t, outbound.Config{Prepare: func(*http.Request, outbound.Attempt) error { return errors.New("no key") }})
	broken.d.Schedule(message("m", rc.URL), outbound.Plan{})
	broken.advance(t, 0)
	if d := broken.d.Deliveries(); len(d) != 1 || !strings.Contains(d[0].Error, "no key") || d[0].Outcome != outbound.OutcomeRetrying {
		t.Errorf("deliveries %+v, want one failed attempt naming the error", d)
	}
}

// basicChallenge is Zuora's challenge: 401 with a Basic WWW-Authenticate.
func basicChallenge(status int, h http.Header) bool {
	return status == http.StatusUnauthorized && strings.HasPrefix(strings.ToLower(h.Get("WWW-Authenticate")), "basic")
}

// demandBasic answers 401 with a challenge to requests without the
// credentials, 200 to the rest.
func demandBasic(_ int, w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "zuora" || p != "secret" {
		w.Header().Set("WWW-Authenticate", `Basic realm="callouts"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
}

// TestChallengeStep: with a challenge configured the first request goes
// without credentials and the challenge makes it repeat at once with
// them; preemptive sends them first; a 401 that is not the challenge is a
// failed attempt.
func TestChallengeStep(t *testing.T) {
	prepare := func(req *http.Request, a outbound.Attempt) error {
		if a.Credentials {
			req.SetBasicAuth("zuora", "secret")
		}
		return nil
	}
	cases := []struct {
		name       string
		preemptive bool
		auth       outbound.Auth
		answer     func(int, http.ResponseWriter, *http.Request)
		want       []string
	}{
		{"challenge then credentials", false, "", demandBasic, []string{"m 1/0 challenged @0s", "m 1/0 delivered @0s"}},
		{"preemptive", true, "", demandBasic, []string{"m 1/0 delivered @0s"}},
		{"the plan asks for preemptive", false, outbound.AuthPreemptive, demandBasic, []string{"m 1/0 delivered @0s"}},
		{"the plan asks for the challenge", true, outbound.AuthChallenge, demandBasic, []string{"m 1/0 challenged @0s", "m 1/0 delivered @0s"}},
		{"a 401 without a challenge is a failure", false, "", statuses(401), []string{"m 1/0 retrying @0s", "m 2/0 abandoned @30m0s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.answer)
			f := newFixture(t, outbound.Config{
				Prepare: prepare, Challenge: basicChallenge, Preemptive: tc.preemptive,
				Schedule: outbound.Schedule{Attempts: 2, Interval: 30 * time.Minute},
			})
			f.d.Schedule(message("m", rc.URL), outbound.Plan{Auth: tc.auth})
			f.advance(t, time.Hour)
			sameStrings(t, "deliveries", f.outcomes(), tc.want)
			dels := f.d.Deliveries()
			if last := dels[len(dels)-1]; tc.answer != nil && last.Outcome == outbound.OutcomeDelivered && !last.Credentials {
				t.Errorf("delivered without credentials: %+v", last)
			}
		})
	}
}

// TestSuccessPolicy: what counts as delivered is the vendor's choice;
// Zuora takes only 200, Microsoft any 2xx.
func TestSuccessPolicy(t *testing.T) {
	cases := []struct {
		name    string
		success func(int) bool
		status  int
		want    string
	}{
		{"any 2xx takes 202", outbound.Any2xx, 202, outbound.OutcomeDelivered},
		{"any 2xx is the default", nil, 204, outbound.OutcomeDelivered},
		{"only 200 refuses 202", outbound.OnlyOK, 202, outbound.OutcomeAbandoned},
		{"only 200 takes 200", outbound.OnlyOK, 200, outbound.OutcomeDelivered},
		{"any 2xx refuses 400", outbound.Any2xx, 400, outbound.OutcomeAbandoned},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, statuses(tc.status))
			f := newFixture(t, outbound.Config{Success: tc.success, Schedule: outbound.Schedule{Attempts: 1}})
			f.d.Schedule(message("m", rc.URL), outbound.Plan{})
			f.advance(t, 0)
			if d := f.d.Deliveries(); len(d) != 1 || d[0].Outcome != tc.want || d[0].StatusCode != tc.status {
				t.Errorf("deliveries %+v, want one %s with %d", d, tc.want, tc.status)
			}
		})
	}
}

// TestAnsweredSeesTheAnswer: the caller gets each answer's status and at
// most AnswerBodyLimit bytes of its body, and may fail the attempt.
func TestAnsweredSeesTheAnswer(t *testing.T) {
	long := strings.Repeat("x", outbound.AnswerBodyLimit+100)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(long))
	})
	var answers []outbound.Answer
	f := newFixture(t, outbound.Config{
		Schedule: outbound.Schedule{Attempts: 1},
		Answered: func(a outbound.Answer) error {
			answers = append(answers, a)
			return errors.New("the partner rejected the change")
		},
	})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.advance(t, 0)
	if len(answers) != 1 {
		t.Fatalf("%d answers, want 1", len(answers))
	}
	a := answers[0]
	if a.StatusCode != http.StatusBadRequest || len(a.Body) != outbound.AnswerBodyLimit || a.Message.ID != "m" || a.Attempt != 1 {
		t.Errorf("answer: status %d, %d body bytes, message %q, attempt %d", a.StatusCode, len(a.Body), a.Message.ID, a.Attempt)
	}
	if d := f.d.Deliveries(); d[0].Error != "the partner rejected the change" || d[0].Outcome != outbound.OutcomeAbandoned {
		t.Errorf("delivery %+v, want the hook's error recorded", d[0])
	}
}

// TestAnsweredMayEndTheDelivery: an answer Answered rejects with ErrStop
// is recorded as rejected and not retried; other answers still are.
func TestAnsweredMayEndTheDelivery(t *testing.T) {
	rc := newReceiver(t, statuses(503, 400))
	f := newFixture(t, outbound.Config{
		Answered: func(a outbound.Answer) error {
			if a.StatusCode >= 400 && a.StatusCode < 500 {
				return fmt.Errorf("%w: the partner refused the change", outbound.ErrStop)
			}
			return nil
		},
	})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.advance(t, 24*time.Hour)
	sameStrings(t, "deliveries", f.outcomes(), []string{"m 1/0 retrying @0s", "m 2/0 rejected @30m0s"})
	if len(f.clock.Pending()) != 0 {
		t.Errorf("a retry is pending after the rejection: %+v", f.clock.Pending())
	}
}

// TestTimeout: a receiver that never answers fails the attempt after the
// timeout, and the retry is scheduled.
func TestTimeout(t *testing.T) {
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	f := newFixture(t, outbound.Config{Timeout: 50 * time.Millisecond})
	f.d.Schedule(message("m", rc.URL), outbound.Plan{})
	f.advance(t, 0)
	d := f.d.Deliveries()
	if len(d) != 1 || d[0].Outcome != outbound.OutcomeRetrying || !strings.Contains(d[0].Error, "deadline exceeded") {
		t.Fatalf("deliveries %+v, want one timed-out attempt", d)
	}
	if p := f.clock.Pending(); len(p) != 1 {
		t.Errorf("pending %+v, want the retry", p)
	}
}
