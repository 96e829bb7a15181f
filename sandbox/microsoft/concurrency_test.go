package microsoft_test

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentTraffic: activate, PATCH, DELETE, customer events, reads
// and clock advances at once; run with -race. Every answer is one the
// API documents, never a 5xx.
func TestConcurrentTraffic(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for range 6 {
		ids = append(ids, e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5}).body["subscriptionId"].(string))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	note := func(r reply) {
		mu.Lock()
		statuses[r.status]++
		mu.Unlock()
	}
	for _, id := range ids {
		wg.Add(5)
		go func() {
			defer wg.Done()
			for range 3 {
				note(e.api(http.MethodPost, "/"+id+"/activate", map[string]any{"planId": "team-seats", "quantity": 5}))
			}
		}()
		go func() {
			defer wg.Done()
			for q := range 4 {
				note(e.api(http.MethodPatch, "/"+id, map[string]any{"quantity": 6 + q}))
			}
		}()
		go func() {
			defer wg.Done()
			for _, a := range []string{"Suspend", "Reinstate", "Renew", "Unsubscribe"} {
				note(e.event(id, map[string]any{"action": a}))
			}
		}()
		go func() {
			defer wg.Done()
			note(e.api(http.MethodGet, "/"+id, nil))
			note(e.api(http.MethodGet, "/"+id+"/operations", nil))
			note(e.api(http.MethodDelete, "/"+id, nil))
		}()
		go func() {
			defer wg.Done()
			e.advance(5 * time.Second)
			e.advance(40 * 24 * time.Hour)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"})
		e.clock.Quiesce(e.m.Reset)
		e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions", nil, nil)
	}()
	wg.Wait()
	e.advance(time.Hour)
	for s := range statuses {
		if s >= 500 {
			t.Fatalf("a %d among %v", s, statuses)
		}
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions", nil, nil); r.status != 200 {
		t.Fatal(r.status)
	}
}
