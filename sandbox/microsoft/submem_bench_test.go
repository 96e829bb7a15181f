package microsoft_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
)

// lifecycle drives subscriptions through a whole life in process, as a
// long-lived sandbox sees them: purchased, activated by the publisher,
// a ChangeQuantity operation (the publisher's PATCH, completed on the
// clock, its webhook delivered), and unsubscribed (the publisher's
// DELETE, completed, its webhook delivered). Webhooks go over HTTP to
// the sample publisher, which verifies and records them.
type lifecycle struct {
	e    *env
	h    http.Handler
	auth string
}

func newLifecycle(e *env) *lifecycle {
	return &lifecycle{e: e, h: e.srv.Config.Handler, auth: e.as(0)["Authorization"]}
}

// call serves one request in process and checks its status.
func (l *lifecycle) call(method, path, body string, want int) string {
	l.e.t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", l.auth)
	}
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	if rec.Code != want {
		l.e.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// live makes n subscriptions live and final, in batches so that each
// batch's operations complete with one advance of the clock; it returns
// the last one's id (keeping them all would count in the heap measured).
func (l *lifecycle) live(n int) (last string) {
	l.e.t.Helper()
	const batch = 500
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		fresh := make([]string, 0, k)
		for range k {
			out := l.call(http.MethodPost, "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"team-seats","quantity":3}`, http.StatusCreated)
			id := out[strings.Index(out, `"subscriptionId":"`)+18:][:36]
			l.call(http.MethodPost, "/api/saas/subscriptions/"+id+"/activate"+v, `{"planId":"team-seats","quantity":3}`, http.StatusOK)
			l.call(http.MethodPatch, "/api/saas/subscriptions/"+id+v, `{"quantity":`+strconv.Itoa(4)+`}`, http.StatusAccepted)
			fresh = append(fresh, id)
		}
		l.e.advance(microsoft.DefaultSettings().OperationDelay)
		for _, id := range fresh {
			l.call(http.MethodDelete, "/api/saas/subscriptions/"+id+v, "", http.StatusAccepted)
		}
		l.e.advance(microsoft.DefaultSettings().OperationDelay)
		last = fresh[len(fresh)-1]
	}
	return last
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkSubscriptionMemory measures the live heap each final
// subscription keeps (see lifecycle), the journal off as in package
// microsoft's own tests. It reports two figures: heap-bytes/sub, the
// whole heap grown over b.N subscriptions divided by b.N (it includes
// the bounded logs, microsoft.webhook.max_deliveries rows each, which
// stop growing once full), and marginal-bytes/sub, the growth over the
// second half of the run only, once those logs are full: the cost of one
// more final subscription, which is what 1 M of them cost.
//
//	go test -run '^$' -bench BenchmarkSubscriptionMemory -benchtime 20000x ./sandbox/microsoft/
//	go test -run '^$' -bench BenchmarkSubscriptionMemory -benchtime 20000x -memprofile mem.out ./sandbox/microsoft/
//	go tool pprof -top -sample_index=inuse_space mem.out
func BenchmarkSubscriptionMemory(b *testing.B) {
	e := newEnv(b)
	l := newLifecycle(e)
	l.live(10) // warm the pools, the routes and the publishers' apps
	before := liveHeap()
	b.ResetTimer()
	half := b.N / 2
	l.live(half)
	mid := liveHeap()
	last := l.live(b.N - half)
	b.StopTimer()
	after := liveHeap()
	if got := l.call(http.MethodGet, "/api/saas/subscriptions/"+last+v, "", http.StatusOK); !strings.Contains(got, `"Unsubscribed"`) {
		b.Fatalf("not final: %s", got)
	}
	b.ReportMetric(float64(int64(after)-int64(before))/float64(b.N), "heap-bytes/sub")
	if n := b.N - half; n > 0 {
		b.ReportMetric(float64(int64(after)-int64(mid))/float64(n), "marginal-bytes/sub")
	}
	b.ReportMetric(float64(after)/(1<<20), "heap-MiB")
}

// TestFinalSubscriptionMemoryIsBounded: one more final subscription costs
// at most 1 KB of live heap (issue 15; BenchmarkSubscriptionMemory
// measures about 630 bytes). The delivery logs are bounded to 100 rows,
// so that they are full before the measured half; the limit is what the
// issue allows, with the measured cost well inside it.
func TestFinalSubscriptionMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 3 000 subscriptions")
	}
	e := newEnv(t, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.Webhook.MaxDeliveries = 100 } })
	l := newLifecycle(e)
	l.live(1000)
	before := liveHeap()
	const n = 2000
	last := l.live(n)
	grown := int64(liveHeap()) - int64(before)
	if got := l.call(http.MethodGet, "/api/saas/subscriptions/"+last+v, "", http.StatusOK); !strings.Contains(got, `"Unsubscribed"`) {
		t.Fatalf("not final: %s", got)
	}
	if per := grown / n; per > 1024 {
		t.Errorf("each final subscription keeps %d bytes of heap; at most 1024", per)
	} else {
		t.Logf("%d bytes of heap per final subscription", per)
	}
}

// BenchmarkControlListing is one page (the default 100) of GET
// /_sandbox/microsoft/subscriptions over 20 000 final subscriptions: the
// store pages, so its allocations are the page's, not the store's.
//
//	go test -run '^$' -bench BenchmarkControlListing -benchmem ./sandbox/microsoft/
func BenchmarkControlListing(b *testing.B) {
	e := newEnv(b)
	l := newLifecycle(e)
	l.live(20000)
	b.ResetTimer()
	for b.Loop() {
		l.call(http.MethodGet, "/_sandbox/microsoft/subscriptions?offset=10000", "", http.StatusOK)
	}
}
