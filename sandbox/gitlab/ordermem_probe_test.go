package gitlab_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

func TestProbeOrderMemory(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	cfg := sandbox.DefaultConfig()
	cfg.Clock = "frozen"
	cfg.Journal.MaxEntries = 0
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	sb, err := sandbox.New(cfg, sandbox.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	h = sb.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, tokenRequest())
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	template := string(mustJSONb(order("EXT")))
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	n := 20000
	if os.Getenv("PROBE_N") != "" {
		fmt.Sscan(os.Getenv("PROBE_N"), &n)
	}
	for i := range n {
		body := strings.Replace(template, `"EXT"`, fmt.Sprintf(`"probe-%d"`, i), 1)
		if rec := postOrder(h, tok, []byte(body)); rec.Code != http.StatusCreated {
			t.Fatal(rec.Code, rec.Body)
		}
	}
	created := heap()
	for range 20 {
		sb.Clock().Advance(t.Context(), time.Hour)
	}
	final := heap()
	t.Logf("n=%d created %.0f B/order, after 20h %.0f B/order, total %d B", n, float64(created-before)/float64(n), float64(final-before)/float64(n), final-before)
	f, _ := os.Create("/tmp/ordermem.pprof")
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	r := httptest.NewRequest(http.MethodGet, "/_sandbox/gitlab/subscriptions?externalSubscriptionId=probe-1", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	t.Log(rec.Body.String())
	runtime.KeepAlive(sb)
}
