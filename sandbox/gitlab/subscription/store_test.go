package subscription_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func key(i int) subscription.Key {
	return subscription.Key{Partner: "demo-partner", ExternalID: fmt.Sprintf("order-%d", i)}
}

// place claims, answers and provisions order i, as the portal would.
func place(t testing.TB, s *subscription.Store, i int, final subscription.Status) {
	t.Helper()
	sub := subscription.Subscription{Key: key(i), Status: subscription.Creating, CreatedAt: t0,
		Order: subscription.Order{ExternalSubscriptionID: key(i).ExternalID, Customer: subscription.Customer{CompanyName: "Acme"}}}
	if _, err := s.Claim(context.Background(), sub, "fp", true); err != nil {
		t.Fatal(err)
	}
	s.Answer(key(i), subscription.Reply{Status: 201, Body: []byte(`{"n":` + fmt.Sprint(i) + `}`)})
	err := s.Apply(key(i), func(sub *subscription.Subscription) error {
		sub.Number = fmt.Sprintf("A-S%08d", i)
		if final == subscription.Provisioned {
			if err := sub.MoveTo(subscription.Created, t0, "created"); err != nil {
				return err
			}
		}
		return sub.MoveTo(final, t0, "done")
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRetentionNeverEvictsAMovingOrder: past max_records the oldest final
// orders go first, but one whose callouts are still busy stays until it
// settles; what was evicted is reported and handed to the owner.
func TestRetentionNeverEvictsAMovingOrder(t *testing.T) {
	var mu sync.Mutex
	busy := map[string]bool{"A-S00000001": true}
	var gone []subscription.Evicted
	var notes []retention.Eviction
	s := subscription.NewBoundedStore(subscription.StoreOptions{
		Retention: retention.Policy{MaxRecords: 2}, Now: func() time.Time { return t0 },
		Moving:  func(n string) bool { mu.Lock(); defer mu.Unlock(); return busy[n] },
		Evicted: func(e []subscription.Evicted) { gone = append(gone, e...) },
		Observe: func(e retention.Eviction) { notes = append(notes, e) },
	})
	for i := range 5 {
		place(t, s, i, subscription.Provisioned)
	}
	// Claiming order-4 made five with a bound of two: every final order
	// but the moving one went, oldest first.
	for i, want := range []bool{false, true, false, false, true} {
		if _, err := s.Get(key(i)); (err == nil) != want {
			t.Errorf("order-%d kept = %v, want %v", i, err == nil, want)
		}
	}
	if s.Len() != 2 || len(gone) != 3 || gone[0].Number != "A-S00000000" || gone[1].Number != "A-S00000002" {
		t.Errorf("held %d, evicted %+v: want 2 held (one moving) and orders 0, 2 and 3 gone", s.Len(), gone)
	}
	if len(notes) == 0 || notes[0].Kind != subscription.Kind || notes[0].Reason != retention.ReasonMaxRecords || notes[0].Keys[0] != "demo-partner/order-0" {
		t.Errorf("reported %+v", notes)
	}
	if _, ok := s.KeyOf("A-S00000000"); ok {
		t.Error("an evicted order's number still resolves")
	}
	mu.Lock()
	busy["A-S00000001"] = false
	mu.Unlock()
	place(t, s, 5, subscription.Failed)
	if _, err := s.Get(key(1)); err == nil {
		t.Error("order-1 kept after it settled and a newer order came")
	}
	if _, err := s.Get(key(4)); err != nil {
		t.Errorf("order-4, newer than order-1, went first: %v", err)
	}
}

// TestFrozenOrdersReadAsTheyWere: a final order is frozen, and reads,
// replays and changes of it answer exactly as before.
func TestFrozenOrdersReadAsTheyWere(t *testing.T) {
	s := subscription.NewStore()
	place(t, s, 1, subscription.Provisioned)
	before, _ := s.Get(key(1))
	want, _ := json.Marshal(before)
	s.Note(key(1), subscription.KindLicense, t0.Add(time.Second), "emailed")
	after, err := s.Get(key(1))
	if err != nil || len(after.Timeline) != len(before.Timeline)+1 {
		t.Fatalf("after a note: %+v, %v", after, err)
	}
	after.Timeline = after.Timeline[:len(after.Timeline)-1]
	if got, _ := json.Marshal(after); string(got) != string(want) {
		t.Errorf("thawed\n %s\nwant\n %s", got, want)
	}
	reply, err := s.Claim(context.Background(), subscription.Subscription{Key: key(1)}, "fp", true)
	if err != nil || reply == nil || string(reply.Body) != `{"n":1}` {
		t.Errorf("replay of a frozen order: %+v, %v", reply, err)
	}
	if _, err := s.Claim(context.Background(), subscription.Subscription{Key: key(1)}, "other", true); err != subscription.ErrDuplicate {
		t.Errorf("another body for a frozen order: %v, want ErrDuplicate", err)
	}
	if !s.FirstNotification(key(1), "n1") || s.FirstNotification(key(1), "n1") {
		t.Error("a notification of a frozen order was not remembered once")
	}
}

// TestListingPagesByCursorAcrossEvictions: a cursor carries on where the
// page before ended, whatever retention evicted meanwhile; the total
// counts every match.
func TestListingPagesByCursorAcrossEvictions(t *testing.T) {
	s := subscription.NewBoundedStore(subscription.StoreOptions{Retention: retention.Policy{MaxRecords: 8}, Now: func() time.Time { return t0 }})
	for i := range 8 {
		place(t, s, i, subscription.Failed)
	}
	first, err := s.List(subscription.Filter{}, listing.Page{Limit: 3})
	if err != nil || len(first.Subscriptions) != 3 || first.Total != 8 || first.Next == 0 {
		t.Fatalf("first page %+v, %v", first, err)
	}
	for i := 8; i < 10; i++ { // evicts order-0 and order-1
		place(t, s, i, subscription.Failed)
	}
	second, _ := s.List(subscription.Filter{}, listing.Page{Limit: 3, After: first.Next})
	if len(second.Subscriptions) != 3 || second.Subscriptions[0].ExternalID != "order-3" || second.Total != 8 {
		t.Errorf("second page starts at %v of %d, want order-3 of 8", second.Subscriptions, second.Total)
	}
	byOffset, _ := s.List(subscription.Filter{}, listing.Page{Limit: 3, Offset: 3})
	if byOffset.Subscriptions[0].ExternalID != "order-5" {
		t.Errorf("offset 3 starts at %s, want order-5 (offsets count from what is first now)", byOffset.Subscriptions[0].ExternalID)
	}
	none, _ := s.List(subscription.Filter{Status: subscription.Provisioned}, listing.Page{Limit: 3})
	if none.Total != 0 || len(none.Subscriptions) != 0 {
		t.Errorf("status filter: %+v", none)
	}
}

// BenchmarkListingAPage lists one page of 100 out of 100 000 final
// (frozen) orders: the cost is the page's, not the store's.
func BenchmarkListingAPage(b *testing.B) {
	s := subscription.NewStore()
	for i := range 100000 {
		place(b, s, i, subscription.Failed)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.List(subscription.Filter{}, listing.Page{Limit: 100, Offset: 50000})
		if err != nil || len(p.Subscriptions) != 100 || p.Total != 100000 {
			b.Fatal(len(p.Subscriptions), p.Total, err)
		}
	}
}
