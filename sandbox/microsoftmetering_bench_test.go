package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// meterBench is a sandbox with meterPool metered subscriptions of
// contoso's, and the usage events of one day for them: each distinct
// (resource, dimension, hour), so that every one is accepted, never a
// duplicate. When a day's events run out the clock moves a day on
// (outside the timer) and a new day's are made.
type meterBench struct {
	h     http.Handler
	token string
	subs  []string
	now   time.Time
	day   []string
	next  int
}

// meterPool subscriptions give 48 000 distinct events a day (24 hours of
// two dimensions each).
const meterPool = 1000

var meterStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newMeterBench(tb testing.TB, change func(*sandbox.Config)) *meterBench {
	tb.Helper()
	mb := &meterBench{h: frozenHandler(tb, func(c *sandbox.Config) {
		c.ClockStart = meterStart
		change(c)
	}), now: meterStart}
	mb.refreshToken(tb)
	for range meterPool {
		purchase := serve(tb, mb.h, http.MethodPost, "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"metered"}`, "Content-Type", jsonType)
		sub := strings.Split(strings.Split(purchase, `"subscriptionId":"`)[1], `"`)[0]
		serve(tb, mb.h, http.MethodPost, "/api/saas/subscriptions/"+sub+"/activate?api-version=2018-08-31", `{"planId":"metered"}`,
			"Authorization", "Bearer "+mb.token, "Content-Type", jsonType)
		mb.subs = append(mb.subs, sub)
	}
	mb.makeDay()
	return mb
}

func (mb *meterBench) refreshToken(tb testing.TB) {
	tb.Helper()
	p := fixtures.Default().Microsoft.Publishers[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret},
		"scope": {"20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"}}
	answer := serve(tb, mb.h, http.MethodPost, "/"+p.TenantID+"/oauth2/v2.0/token", form.Encode(), "Content-Type", formType)
	mb.token = strings.Split(strings.Split(answer, `"access_token":"`)[1], `"`)[0]
}

func (mb *meterBench) makeDay() {
	mb.day, mb.next = mb.day[:0], 0
	for hour := range 24 {
		at := mb.now.Add(-time.Duration(hour) * time.Hour).Format(time.RFC3339)
		for _, sub := range mb.subs {
			for _, dim := range []string{"api-calls", "gb-stored"} {
				mb.day = append(mb.day, `{"resourceId":"`+sub+`","quantity":1.5,"dimension":"`+dim+`","effectiveStartTime":"`+at+`","planId":"metered"}`)
			}
		}
	}
}

// events returns the next n distinct events, moving to a new day (timer
// stopped) when this one's are spent.
func (mb *meterBench) events(b *testing.B, n int) []string {
	if mb.next+n > len(mb.day) {
		b.StopTimer()
		serve(b, mb.h, http.MethodPost, "/_sandbox/clock/advance", `{"by":"24h"}`, "Content-Type", jsonType)
		mb.now = mb.now.Add(24 * time.Hour)
		mb.refreshToken(b)
		mb.makeDay()
		b.StartTimer()
	}
	out := mb.day[mb.next : mb.next+n]
	mb.next += n
	return out
}

func (mb *meterBench) post(b *testing.B, path, body string) int {
	req := httptest.NewRequest(http.MethodPost, path+"?api-version=2018-08-31", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+mb.token)
	req.Header.Set("Content-Type", jsonType)
	rec := httptest.NewRecorder()
	mb.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Len()
}

// bareMeter is the baseline: a bare handler that reads the body and
// writes an answer of the sandbox's size, as cmd/loadbench's does.
func bareMeter(size int) http.Handler {
	answer := []byte("{" + strings.Repeat(" ", max(size-3, 0)) + "}\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 512)
		for {
			if _, err := r.Body.Read(buf); err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
}

// BenchmarkMicrosoftUsageEvent measures POST /api/usageEvent of a new
// event (Entra token checked, every rule, the store, the timeline note,
// the journal entry), beside a bare handler answering as many bytes, with
// and without the journal; every event is accepted.
//
//	go test -run '^$' -bench 'BenchmarkMicrosoftUsageEvent|BenchmarkMicrosoftBatchUsageEvent' -benchmem ./sandbox/
func BenchmarkMicrosoftUsageEvent(b *testing.B) {
	meterBenchmarks(b, "/api/usageEvent", 1, func(events []string) string { return events[0] })
}

// BenchmarkMicrosoftBatchUsageEvent is the same for a batch of 25 new
// events; it reports events/s besides the time of a batch.
func BenchmarkMicrosoftBatchUsageEvent(b *testing.B) {
	meterBenchmarks(b, "/api/batchUsageEvent", 25, func(events []string) string {
		return `{"request":[` + strings.Join(events, ",") + `]}`
	})
}

func meterBenchmarks(b *testing.B, path string, n int, body func([]string) string) {
	for _, tc := range journalModes {
		b.Run(tc.name, func(b *testing.B) {
			mb := newMeterBench(b, tc.change)
			size := 0
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				size = mb.post(b, path, body(mb.events(b, n)))
			}
			b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64(size), "answer-bytes")
		})
	}
	b.Run("bare", func(b *testing.B) {
		mb := newMeterBench(b, func(*sandbox.Config) {})
		size := mb.post(b, path, body(mb.events(b, n)))
		h := bareMeter(size)
		b.ReportAllocs()
		b.ResetTimer()
		// The bare handler does not care whether events repeat: it cycles
		// through one day's.
		i := 0
		for b.Loop() {
			i = (i + n) % (len(mb.day) - n)
			req := httptest.NewRequest(http.MethodPost, path+"?api-version=2018-08-31", strings.NewReader(body(mb.day[i:i+n])))
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		b.ReportMetric(float64(size), "answer-bytes")
	})
}
