package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// frozenHandler builds a sandbox with a frozen clock and its defaults as
// change leaves them, and returns its handler, for benchmarks that call it
// without a network in between.
func frozenHandler(tb testing.TB, change func(*sandbox.Config)) http.Handler {
	tb.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Clock = "frozen"
	cfg.ControlHosts = []string{httptestHost}
	change(&cfg)
	sb, err := sandbox.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return sb.Handler()
}

// httptestHost is the Host of httptest.NewRequest's requests, which the
// control API answers only when told to (control_hosts).
const httptestHost = "example.com"

// handlerWithToken is frozenHandler with a status-reading token.
func handlerWithToken(tb testing.TB, change func(*sandbox.Config)) (http.Handler, string) {
	tb.Helper()
	h := frozenHandler(tb, change)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read"))
	req.Header.Set("Content-Type", formType)
	h.ServeHTTP(rec, req)
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	return h, tok
}

func statusRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, statusPath+"order-1", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// journalModes are a sandbox without its journal and with its defaults,
// for benchmarks that show what the journal costs a call.
var journalModes = []struct {
	name   string
	change func(*sandbox.Config)
}{
	{"unjournaled", func(c *sandbox.Config) { c.Journal.MaxEntries = 0 }},
	{"journaled", func(*sandbox.Config) {}},
}

// BenchmarkStatusGet measures a status read (a 404, the portal's cheapest
// authenticated answer) with and without the journal and the fault layer.
func BenchmarkStatusGet(b *testing.B) {
	for _, tc := range journalModes {
		b.Run(tc.name, func(b *testing.B) {
			h, tok := handlerWithToken(b, tc.change)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), statusRequest(tok))
			}
		})
	}
}

// journalHeap serves n status reads and returns how much the live heap
// grew over them (measured after a collection on the same sandbox, so
// that nothing built before counts), with the journal's own accounting.
func journalHeap(tb testing.TB, n int, settings journal.Settings) (grown int64, res map[string]any) {
	tb.Helper()
	h, tok := handlerWithToken(tb, func(c *sandbox.Config) { c.Journal = settings })
	h.ServeHTTP(httptest.NewRecorder(), statusRequest(tok)) // the first request builds what every one uses
	waitForValidator(tb, h)
	live := func() int64 {
		runtime.GC() // twice: sync.Pool caches survive one collection
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	before := live()
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), statusRequest(tok))
	}
	grown = live() - before
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_sandbox/journal?limit=1", nil))
	runtime.KeepAlive(h)
	return grown, map[string]any{"body": rec.Body.String()}
}

// waitForValidator sends a create, which waits for the OpenAPI validator
// that a new sandbox builds in the background: otherwise that build's
// garbage would be counted, or freed, while the heap is measured.
func waitForValidator(tb testing.TB, h http.Handler) {
	tb.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:create"))
	req.Header.Set("Content-Type", formType)
	h.ServeHTTP(rec, req)
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/api/v1/marketplace/subscriptions", strings.NewReader("{}"))
	req.Header.Set("Content-Type", jsonType)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		tb.Fatalf("create {} answered %d: %s", rec.Code, rec.Body)
	}
}

// TestJournalMemoryIsBounded serves many more requests than the journal
// keeps and checks that the live heap stays near max_bytes.
func TestJournalMemoryIsBounded(t *testing.T) {
	settings := journal.Settings{MaxEntries: 1 << 30, MaxBytes: 2 << 20, BodyBytes: 4096}
	grown, res := journalHeap(t, 20000, settings)
	if grown > 3*settings.MaxBytes/2 {
		t.Errorf("heap grew %d bytes for a journal bounded to %d", grown, settings.MaxBytes)
	}
	if !strings.Contains(res["body"].(string), `"dropped":`) || strings.Contains(res["body"].(string), `"dropped":0`) {
		t.Errorf("nothing was dropped: %s", res["body"])
	}
}

// BenchmarkJournalMemory reports how much the live heap grows over
// 200 000 status reads with the default bounds (2 000 entries, 4 MiB) and
// with the bytes alone bounding it, beside what the journal counts.
func BenchmarkJournalMemory(b *testing.B) {
	bytesOnly := journal.DefaultSettings()
	bytesOnly.MaxEntries = 1 << 30
	cases := []struct {
		name     string
		n        int
		settings journal.Settings
	}{
		{"none", 0, journal.DefaultSettings()},
		{"200k default bounds", 200000, journal.DefaultSettings()},
		{"200k 4MiB only", 200000, bytesOnly},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				grown, res := journalHeap(b, tc.n, tc.settings)
				b.ReportMetric(float64(grown)/(1<<20), "heap-MiB")
				var counted struct{ Bytes, Dropped float64 }
				_ = json.Unmarshal([]byte(res["body"].(string)), &counted)
				b.ReportMetric(counted.Bytes/(1<<20), "journal-MiB")
				b.ReportMetric(counted.Dropped, "dropped")
			}
		})
	}
}
