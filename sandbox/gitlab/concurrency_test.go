package gitlab_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

func TestConcurrentIdenticalCreatesMakeExactlyOneSubscription(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	body := mustJSON(t, order("race-1"))
	const n = 40
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = call(t, http.MethodPost, srv.URL+subsPath, bearer(tok), body)
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if r.status != http.StatusCreated || string(r.raw) != string(replies[0].raw) {
			t.Errorf("reply %d: %d %s, want the first answer %s", i, r.status, r.raw, replies[0].raw)
		}
	}
	if subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions?externalSubscriptionId=race-1", "subscriptions"); len(subs) != 1 {
		t.Errorf("%d subscriptions, want exactly 1", len(subs))
	}
}

func TestConcurrentConflictingCreatesLeaveOneWinner(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	const n = 30
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := order("race-2")
			o["orderLines"] = []any{map[string]any{"productId": premiumSaaS, "quantity": i + 1}}
			statuses[i] = create(t, srv, tok, o).status
		}()
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("request %d answered %d", i, s)
		}
	}
	if won != 1 {
		t.Errorf("%d creates won, want exactly 1", won)
	}
}

// TestMixedTrafficWhileTheClockRuns hammers every route while advances
// fire callouts, under -race, and checks the store stays consistent.
func TestMixedTrafficWhileTheClockRuns(t *testing.T) {
	srv := sandboxtest.New(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				ext := "mixed-" + string(rune('a'+w)) + "-" + string(rune('a'+i))
				create(t, srv, tok, order(ext))
				status(t, srv, tok, ext)
				call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions", nil, nil)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			srv.Advance(time.Second)
		}
	}()
	wg.Wait()
	srv.Advance(time.Minute)
	subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions", "subscriptions")
	if len(subs) != 60 {
		t.Fatalf("%d subscriptions, want 60", len(subs))
	}
	for _, s := range subs {
		if s["status"] != "Provisioned" {
			t.Errorf("%v is %v", s["externalSubscriptionId"], s["status"])
		}
	}
	if mail := controlList(t, srv, "/_sandbox/gitlab/outbox", "messages"); len(mail) != 60 {
		t.Errorf("%d emails, want 60", len(mail))
	}
}
