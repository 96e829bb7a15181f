package microsoft_test

import (
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentIdenticalUsage: many publishers' threads posting the
// same event at once get exactly one acceptance, every other a 409 (and
// in batches, exactly one Accepted item per event, every other
// Duplicate). Run with -race.
func TestConcurrentIdenticalUsage(t *testing.T) {
	const callers = 32
	m := newMeter(t)
	now := m.clock.Now()
	count := func(f func() []string) map[string]int {
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				for _, s := range f() {
					mu.Lock()
					got[s]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return got
	}
	single := count(func() []string {
		r := m.post(usage(m.id, "api-calls", "metered", 1, now))
		return []string{http.StatusText(r.status)}
	})
	if single["OK"] != 1 || single["Conflict"] != callers-1 {
		t.Fatalf("single events: %v", single)
	}
	batched := count(func() []string {
		r := m.batch(usage(m.id, "gb-stored", "metered", 1, now), usage(m.id, "api-calls", "metered", 1, now.Add(-1)))
		var out []string
		for _, it := range r.body["result"].([]any) {
			out = append(out, it.(map[string]any)["status"].(string))
		}
		return out
	})
	// api-calls at 09:59:59.999999999 is the hour before the single events'.
	if batched["Accepted"] != 2 || batched["Duplicate"] != 2*callers-2 {
		t.Fatalf("batches: %v", batched)
	}
	list := m.do(http.MethodGet, "/_sandbox/microsoft/usage?limit=1000", nil, nil)
	if list.body["total"] != float64(3*callers) {
		t.Fatalf("received: %v", list.body["total"])
	}
}
