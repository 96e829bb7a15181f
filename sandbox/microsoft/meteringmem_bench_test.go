package microsoft_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
)

// BenchmarkUsageMemory measures the heap each accepted usage event keeps:
// b.N distinct events are accepted (in batches of 25, in process) into a
// marketplace whose microsoft.max_usage_events is raised to its maximum,
// 1 000 000 (the default, 10 000, would forget all but the newest), and
// the live heap after a GC, less the heap before the first, is reported
// per event. It counts the whole cost of an event: the duplicate index,
// the accepted and received logs, and the subscription timeline's note
// (each of the 1000 subscriptions' timelines holds at most 1000 events,
// so beyond a million events the notes stop growing).
//
//	go test -run '^$' -bench BenchmarkUsageMemory -benchtime 1000000x ./sandbox/microsoft/
func BenchmarkUsageMemory(b *testing.B) {
	e := newEnv(b, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.MaxUsageEvents = 1_000_000 } })
	const pool = 1000
	subs := make([]string, pool)
	for i := range subs {
		subs[i] = e.subscribed("metered", nil)
	}
	h, auth := e.srv.Config.Handler, e.as(0)["Authorization"]
	day := func() []string {
		var out []string
		for hour := range 24 {
			at := e.clock.Now().Add(-time.Duration(hour) * time.Hour).Format(time.RFC3339)
			for _, sub := range subs {
				for _, dim := range []string{"api-calls", "gb-stored"} {
					out = append(out, `{"resourceId":"`+sub+`","quantity":1.5,"dimension":"`+dim+`","effectiveStartTime":"`+at+`","planId":"metered"}`)
				}
			}
		}
		return out
	}
	events := day()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for done := 0; done < b.N; {
		if len(events) < 25 {
			b.StopTimer()
			e.advance(24 * time.Hour)
			events = day()
			b.StartTimer()
		}
		n := min(25, b.N-done)
		req := httptest.NewRequest(http.MethodPost, "/api/batchUsageEvent"+v, strings.NewReader(`{"request":[`+strings.Join(events[:n], ",")+`]}`))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `"Accepted"`) != n {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		events, done = events[n:], done+n
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heap-bytes/event")
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-MiB")
}
