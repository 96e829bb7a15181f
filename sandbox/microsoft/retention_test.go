package microsoft_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// evictions records what retention reported.
type evictions struct {
	mu  sync.Mutex
	got []retention.Eviction
}

func (ev *evictions) observe(e retention.Eviction) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.got = append(ev.got, e)
}

func (ev *evictions) keys() map[string]retention.Reason {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	out := map[string]retention.Reason{}
	for _, e := range ev.got {
		if e.Kind != "subscriptions" {
			panic("kind " + e.Kind)
		}
		for _, k := range e.Keys {
			out[k] = e.Reason
		}
	}
	return out
}

func retained(p retention.Policy, ev *evictions) func(*setup) {
	return func(su *setup) { su.opts = append(su.opts, microsoft.WithRetention(p, ev.observe)) }
}

// ended buys, activates and unsubscribes (a customer's Unsubscribe, its
// webhook delivered at once) one subscription.
func (e *env) ended() string {
	e.t.Helper()
	id := e.subscribed("basic", nil)
	if r := e.event(id, map[string]any{"action": "Unsubscribe"}); r.status != http.StatusAccepted {
		e.t.Fatalf("unsubscribe: %d %s", r.status, r.raw)
	}
	return id
}

func (e *env) gone(id string) bool {
	e.t.Helper()
	r := e.api(http.MethodGet, "/"+id, nil)
	switch r.status {
	case http.StatusOK:
		return false
	case http.StatusNotFound:
		expectError(e.t, r, http.StatusNotFound, "EntityNotFound")
		return true
	}
	e.t.Fatalf("get %s: %d %s", id, r.status, r.raw)
	return false
}

func TestRetentionKeepsAtMostMaxRecords(t *testing.T) {
	ev := &evictions{}
	e := newEnv(t, retained(retention.Policy{MaxRecords: 3}, ev))
	var ids []string
	for range 5 {
		ids = append(ids, e.ended())
	}
	live := e.subscribed("basic", nil) // not final: never a candidate
	e.sub(live)
	for i, id := range ids {
		if want := i < 3; e.gone(id) != want {
			t.Errorf("subscription %d gone = %v, want %v", i, !want, want)
		}
	}
	if e.gone(live) {
		t.Error("a Subscribed subscription was evicted")
	}
	if got := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions", nil, nil).body["total"]; got != float64(3) {
		t.Errorf("control listing total %v, want 3", got)
	}
	keys := ev.keys()
	for _, id := range ids[:3] {
		if keys[id] != retention.ReasonMaxRecords {
			t.Errorf("eviction of %s reported as %q", id, keys[id])
		}
	}
	if w := e.webhooks(ids[0]); len(w) != 0 {
		t.Errorf("the webhook attempts of an evicted subscription are kept: %v", w)
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions/"+ids[0], nil, nil); r.status != http.StatusNotFound {
		t.Errorf("control GET of an evicted subscription: %d", r.status)
	}
}

func TestRetentionByAgeOnTheSandboxClock(t *testing.T) {
	ev := &evictions{}
	e := newEnv(t, retained(retention.Policy{MaxAge: time.Hour}, ev))
	old := e.ended()
	e.advance(30 * time.Minute)
	young := e.ended()
	e.advance(31 * time.Minute)
	if !e.gone(old) {
		t.Error("a subscription final for 61 minutes is kept with max_age 1h")
	}
	if e.gone(young) {
		t.Error("a subscription final for 31 minutes is evicted with max_age 1h")
	}
	if ev.keys()[old] != retention.ReasonMaxAge {
		t.Errorf("reported %v", ev.keys())
	}
}

func TestRetentionNeverEvictsAWebhookStillRetrying(t *testing.T) {
	ev := &evictions{}
	e := newEnv(t, retained(retention.Policy{MaxRecords: 1}, ev))
	var down atomic.Bool
	down.Store(true)
	failing := newReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	retrying := e.subscribed("basic", nil)
	if r := e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", nil, map[string]any{"webhookUrl": failing}); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	e.event(retrying, map[string]any{"action": "Unsubscribe"})
	if w := e.webhooks(retrying); len(w) == 0 || w[len(w)-1]["outcome"] != "retrying" {
		t.Fatalf("webhook not retrying: %v", w)
	}
	e.do(http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", nil, map[string]any{"webhookUrl": microsoft.SampleWebhookPath})
	others := []string{e.ended(), e.ended()}
	if e.gone(retrying) {
		t.Fatal("a subscription whose webhook is retrying was evicted")
	}
	if !e.gone(others[0]) {
		t.Error("the oldest final subscription that is not moving was kept")
	}
	// Once the webhook is delivered, it is the oldest final one: the next
	// to go when one more passes the bound.
	down.Store(false)
	e.advance(microsoft.DefaultSettings().Webhook.RetryInterval)
	newest := e.ended()
	if e.gone(newest) {
		t.Error("the newest final subscription was evicted")
	}
	if !e.gone(retrying) {
		t.Error("kept after its webhook was delivered")
	}
}

// TestRetentionRacesTheLifecycle evicts while other goroutines buy, end
// and read subscriptions (for -race).
func TestRetentionRacesTheLifecycle(t *testing.T) {
	e := newEnv(t, retained(retention.Policy{MaxRecords: 5}, &evictions{}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				id := e.ended()
				e.api(http.MethodGet, "/"+id, nil)
				e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions?limit=3", nil, nil)
			}
		})
	}
	wg.Wait()
	if got := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions", nil, nil).body["total"].(float64); got > 5 {
		t.Errorf("%v subscriptions held, retention.max_records 5", got)
	}
}
