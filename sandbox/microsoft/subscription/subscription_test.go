package subscription

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTerms: a term starts on the activation day and ends the day before
// the same day one unit later; month ends are clamped.
func TestTerms(t *testing.T) {
	cases := []struct{ start, unit, end string }{
		{"2026-03-07", "P1M", "2026-04-06"},
		{"2026-03-07", "P1Y", "2027-03-06"},
		{"2026-01-31", "P1M", "2026-02-27"},
		{"2024-02-29", "P1Y", "2025-02-27"},
		{"2026-03-07", "P3Y", "2029-03-06"},
		{"2026-03-07", "P5Y", "2031-03-06"},
	}
	for _, tc := range cases {
		t.Run(tc.start+" "+tc.unit, func(t *testing.T) {
			term, err := termFrom(date(tc.start).Add(15*time.Hour), tc.unit)
			if err != nil || !term.StartDate.Equal(date(tc.start)) || !term.EndDate.Equal(date(tc.end)) || term.ChargeDuration != tc.unit {
				t.Fatalf("%v %+v", err, term)
			}
		})
	}
	if _, err := termFrom(date("2026-01-01"), "P6M"); err == nil {
		t.Fatal("P6M accepted")
	}
}

// TestStateMachine walks every transition from every state.
func TestStateMachine(t *testing.T) {
	now := date("2026-03-07")
	transitions := map[string]func(*Subscription) error{
		"activate":    func(s *Subscription) error { return s.Activate(Activation{}, now) },
		"suspend":     func(s *Subscription) error { return s.Suspend(now) },
		"reinstate":   func(s *Subscription) error { return s.Reinstate() },
		"unsubscribe": func(s *Subscription) error { return s.Unsubscribe(false) },
		"renew":       func(s *Subscription) error { return s.Renew(now) },
	}
	allowed := map[Status]map[string]Status{
		PendingFulfillmentStart: {"activate": Subscribed, "unsubscribe": Unsubscribed},
		Subscribed:              {"suspend": Suspended, "unsubscribe": Unsubscribed, "renew": Subscribed},
		Suspended:               {"reinstate": Subscribed, "unsubscribe": Unsubscribed},
		Unsubscribed:            {},
	}
	for from, ok := range allowed {
		for name, tr := range transitions {
			t.Run(fmt.Sprintf("%s %s", from, name), func(t *testing.T) {
				s := Subscription{ID: "s", PlanID: "p", SaasSubscriptionStatus: from, Term: Term{TermUnit: "P1M"}}
				if from != PendingFulfillmentStart {
					s.Term, _ = termFrom(now, "P1M")
				}
				err := tr(&s)
				want, allowed := ok[name]
				if allowed != (err == nil) || allowed && s.SaasSubscriptionStatus != want {
					t.Fatalf("err %v, status %s", err, s.SaasSubscriptionStatus)
				}
			})
		}
	}
}

// TestStoreConcurrency: Begin, Settle, Notify and reads race on one
// subscription; exactly one operation is pending at a time.
func TestStoreConcurrency(t *testing.T) {
	st := NewStore()
	now := date("2026-03-07")
	s := Subscription{ID: "s", PlanID: "p", Quantity: 1, SaasSubscriptionStatus: PendingFulfillmentStart, Term: Term{TermUnit: "P1M"}}
	st.Add(s, Event{At: now, Kind: "purchase"})
	if _, _, err := st.Update("s", func(x *Subscription) error { return x.Activate(Activation{}, now) }, Event{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			op := Operation{ID: fmt.Sprint("op", i), SubscriptionID: "s", Action: ActionChangeQuantity, Quantity: i + 2}
			if _, _, err := st.Begin("s", op, Change{Action: ActionChangeQuantity, Quantity: i + 2}, func(Subscription) error { return nil }); err == nil {
				_, _ = st.Settle("s", op.ID, OpSucceeded, "", now)
			}
		}()
		go func() {
			defer wg.Done()
			_, _, _ = st.Notify("s", Operation{ID: fmt.Sprint("n", i), Action: ActionRenew}, func(x *Subscription) error { return x.Renew(now) }, true)
		}()
		go func() {
			defer wg.Done()
			_, _ = st.Detail("s")
			_ = st.List(nil)
		}()
	}
	wg.Wait()
	if ops, _ := st.Operations("s", true); len(ops) != 0 {
		t.Fatalf("left pending: %v", ops)
	}
}

// TestTimelineFoldsRepeats: a token resolved a million times is one
// event with a count, and no timeline grows without bound.
func TestTimelineFoldsRepeats(t *testing.T) {
	st := NewStore()
	st.Add(Subscription{ID: "s"}, Event{Kind: "purchase"})
	for range 5 {
		st.Note("s", Event{Kind: "resolve", Detail: "resolved by p"})
	}
	for i := range 3 * maxTimeline {
		st.Note("s", Event{Kind: "x", Detail: fmt.Sprint(i)})
	}
	d, _ := st.Detail("s")
	if len(d.Timeline) != maxTimeline || d.Timeline[0].Kind != "purchase" {
		t.Fatalf("%d events, first %v", len(d.Timeline), d.Timeline[0])
	}
	st2 := NewStore()
	st2.Add(Subscription{ID: "s"}, Event{Kind: "purchase"})
	for range 5 {
		st2.Note("s", Event{Kind: "resolve", Detail: "resolved by p"})
	}
	if d, _ := st2.Detail("s"); len(d.Timeline) != 2 || d.Timeline[1].Count != 5 {
		t.Fatalf("%v", d.Timeline)
	}
}

// TestOperationsAreBounded: a publisher changing seats in a loop keeps at
// most maxOperations operations, the newest, and the pending one is never
// the one forgotten.
func TestOperationsAreBounded(t *testing.T) {
	st := NewStore()
	now := date("2026-03-07")
	st.Add(Subscription{ID: "s", PlanID: "p", Quantity: 1, SaasSubscriptionStatus: PendingFulfillmentStart, Term: Term{TermUnit: "P1M"}}, Event{At: now, Kind: "purchase"})
	if _, _, err := st.Update("s", func(x *Subscription) error { return x.Activate(Activation{}, now) }, Event{}); err != nil {
		t.Fatal(err)
	}
	first := Operation{ID: "op-first", SubscriptionID: "s", Action: ActionChangeQuantity, Quantity: 2}
	if _, _, err := st.Begin("s", first, Change{Action: ActionChangeQuantity, Quantity: 2}, func(Subscription) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// The pending operation stays while notify-only ones pile up behind it.
	for i := range 2 * maxOperations {
		_, _, _ = st.Notify("s", Operation{ID: fmt.Sprint("n", i), Action: ActionRenew}, func(x *Subscription) error { return x.Renew(now) }, false)
	}
	d, _ := st.Detail("s")
	if len(d.Operations) != maxOperations {
		t.Fatalf("%d operations kept, want %d", len(d.Operations), maxOperations)
	}
	if _, err := st.Operation("s", "op-first"); err != nil {
		t.Errorf("the pending operation was forgotten: %v", err)
	}
	if _, err := st.Operation("s", "n0"); err == nil {
		t.Errorf("the oldest finished operation is still kept")
	}
	if _, err := st.Operation("s", fmt.Sprint("n", 2*maxOperations-1)); err != nil {
		t.Errorf("the newest operation: %v", err)
	}
}
