package gitlab_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestRetentionForgetsTheOldestProvisionedOrders: with retention set, a
// long-lived sandbox keeps the newest orders, answers 404 for one it
// forgot (as for one never made), journals each eviction as the
// sandbox's own note and counts it in the metrics.
func TestRetentionForgetsTheOldestProvisionedOrders(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Retention.MaxRecords = 3 }))
	tok := token(t, srv, "demo-partner", scopeRead, scopeCreate)
	for i := range 6 {
		if r := create(t, srv, tok, order(fmt.Sprintf("kept-%d", i))); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.status, r.raw)
		}
		srv.Advance(time.Minute) // provisioned before the next arrives
	}
	listed := call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions", nil, nil)
	if total := listed.json["total"]; total != float64(3) {
		t.Errorf("listing total %v, want 3", total)
	}
	if r := status(t, srv, tok, "kept-0"); r.status != http.StatusNotFound {
		t.Errorf("the oldest order: %d %s, want 404", r.status, r.raw)
	}
	if r := status(t, srv, tok, "kept-5"); r.status != http.StatusOK || r.json["status"] != "Provisioned" {
		t.Errorf("the newest order: %d %s", r.status, r.raw)
	}
	notes := call(t, http.MethodGet, srv.URL+"/_sandbox/journal?direction=sandbox", nil, nil)
	entries, _ := notes.json["entries"].([]any)
	if len(entries) == 0 || !strings.Contains(string(notes.raw), `EVICT`) || !strings.Contains(string(notes.raw), `demo-partner/kept-0`) {
		t.Errorf("journal notes: %s", notes.raw)
	}
	metrics := call(t, http.MethodGet, srv.URL+"/_sandbox/metrics", nil, nil)
	if !strings.Contains(string(metrics.raw), `sandbox_records_evicted_total{marketplace="gitlab",kind="orders"} 3`) {
		t.Errorf("metrics lack 3 evicted orders:\n%s", grepLines(string(metrics.raw), "evicted"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// orderHeap is the live heap after n orders were created and provisioned
// (journal off, so only the orders count), over real HTTP so the fake
// Zuora's callouts reach the portal.
func orderHeap(tb testing.TB, n int) uint64 {
	tb.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Clock = "frozen"
	cfg.Journal.MaxEntries = 0
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	sb, err := sandbox.New(cfg, sandbox.WithBaseURL(srv.URL))
	if err != nil {
		tb.Fatal(err)
	}
	h = sb.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, tokenRequest())
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	template := string(mustJSONb(order("EXT")))
	before := liveHeap()
	for i := range n {
		body := strings.Replace(template, `"EXT"`, fmt.Sprintf(`"order-%07d"`, i), 1)
		if rec := postOrder(h, tok, []byte(body)); rec.Code != http.StatusCreated {
			tb.Fatal(rec.Code, rec.Body)
		}
		if i%1000 == 999 {
			sb.Clock().Advance(tb.Context(), time.Minute)
		}
	}
	sb.Clock().Advance(tb.Context(), time.Hour)
	after := liveHeap()
	runtime.KeepAlive(sb)
	return after - before
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestProvisionedOrdersStaySmall: each provisioned order beyond the
// first few thousand costs at most 1 KB of live heap (the slope between
// two sizes, so the bounded logs of deliveries and emails, full at
// either size, do not count).
func TestProvisionedOrdersStaySmall(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("creates 28 000 orders; measured without -race and -short (make test's memory step)")
	}
	small, large := orderHeap(t, 12000), orderHeap(t, 16000)
	perOrder := (float64(large) - float64(small)) / 4000
	t.Logf("%.0f B of live heap per provisioned order", perOrder)
	if perOrder > 1024 {
		t.Errorf("%.0f B of live heap per provisioned order, want at most 1024", perOrder)
	}
}

// BenchmarkProvisionedOrderMemory reports the live heap each provisioned
// order adds, between 20 000 and 60 000 orders.
func BenchmarkProvisionedOrderMemory(b *testing.B) {
	for b.Loop() {
		small, large := orderHeap(b, 20000), orderHeap(b, 60000)
		b.ReportMetric((float64(large)-float64(small))/40000, "B/order")
		b.ReportMetric(float64(large)/(1<<20), "MiB@60k")
	}
}

// TestForgottenTokensAreCountedNotJournaled: past gitlab.max_tokens the
// oldest token is forgotten at each new one; the metrics count them, and
// the journal, which a token-per-call client would flood, gets no note.
func TestForgottenTokensAreCountedNotJournaled(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.MaxTokens = 100 }))
	for range 150 {
		token(t, srv, "demo-partner", scopeRead)
	}
	metrics := call(t, http.MethodGet, srv.URL+"/_sandbox/metrics", nil, nil)
	if !strings.Contains(string(metrics.raw), `sandbox_records_evicted_total{marketplace="gitlab",kind="tokens"} 50`) ||
		!strings.Contains(string(metrics.raw), `sandbox_records_held{marketplace="gitlab",kind="tokens"} 100`) {
		t.Errorf("metrics:\n%s", grepLines(string(metrics.raw), "tokens"))
	}
	notes := call(t, http.MethodGet, srv.URL+"/_sandbox/journal?direction=sandbox", nil, nil)
	if entries, _ := notes.json["entries"].([]any); len(entries) != 0 {
		t.Errorf("%d journal notes for forgotten tokens", len(entries))
	}
}
