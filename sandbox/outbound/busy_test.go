package outbound_test

import (
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// TestBusyUntilEveryDeliveryOfASubjectFinishes: a subject is busy while
// any of its messages is scheduled, held, retried or copied, and settles
// once each has been delivered, abandoned or dropped — what a store asks
// before its retention forgets a record.
func TestBusyUntilEveryDeliveryOfASubjectFinishes(t *testing.T) {
	t.Run("retried until abandoned", func(t *testing.T) {
		rc := newReceiver(t, statuses(500))
		f := newFixture(t, outbound.Config{Schedule: outbound.Schedule{Attempts: 2, Interval: time.Minute}})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{Delay: time.Second})
		busy(t, f, "sub-m", true, "scheduled")
		f.advance(t, 2*time.Second)
		busy(t, f, "sub-m", true, "retrying")
		f.advance(t, time.Minute)
		busy(t, f, "sub-m", false, "abandoned")
	})
	t.Run("copies keep it busy after the original is delivered", func(t *testing.T) {
		rc := newReceiver(t, statuses(200))
		f := newFixture(t, outbound.Config{})
		f.d.Schedule(message("m", rc.URL), outbound.Plan{Copies: 2})
		f.clock.AdvanceBounded(t.Context(), 0, 1)
		busy(t, f, "sub-m", true, "original delivered, copies due")
		f.advance(t, time.Second)
		busy(t, f, "sub-m", false, "copies delivered")
	})
	t.Run("held until dropped, fired until delivered", func(t *testing.T) {
		rc := newReceiver(t, statuses(200))
		f := newFixture(t, outbound.Config{})
		hold := outbound.Cause{Why: "manual"}
		f.d.Schedule(message("a", rc.URL), outbound.Plan{Hold: hold})
		f.d.Schedule(message("b", rc.URL), outbound.Plan{Hold: hold})
		f.advance(t, time.Hour)
		busy(t, f, "sub-a", true, "held")
		if _, err := f.d.Drop("a", "by hand"); err != nil {
			t.Fatal(err)
		}
		busy(t, f, "sub-a", false, "dropped")
		if _, err := f.d.Fire("b"); err != nil {
			t.Fatal(err)
		}
		busy(t, f, "sub-b", true, "fired, not sent yet")
		f.advance(t, 0)
		busy(t, f, "sub-b", false, "delivered")
	})
	t.Run("a reset settles everything", func(t *testing.T) {
		f := newFixture(t, outbound.Config{})
		f.d.Schedule(message("m", "http://127.0.0.1:9/"), outbound.Plan{Delay: time.Hour})
		f.d.Reset()
		busy(t, f, "sub-m", false, "after a reset")
	})
}

// TestDeliveriesKeepTheNewest: past Config.Keep the oldest records go
// and Dropped counts them.
func TestDeliveriesKeepTheNewest(t *testing.T) {
	f := newFixture(t, outbound.Config{Keep: 3})
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		f.d.Schedule(message(id, "http://127.0.0.1:9/"), outbound.Plan{Drop: outbound.Cause{Why: "test"}})
	}
	sameStrings(t, "kept", f.outcomes(), []string{"c 0/0 dropped @0s", "d 0/0 dropped @0s", "e 0/0 dropped @0s"})
	if n := f.d.Dropped(); n != 2 {
		t.Errorf("Dropped() = %d, want 2", n)
	}
}

func busy(t *testing.T, f *fixture, subject string, want bool, when string) {
	t.Helper()
	if got := f.d.Busy(subject); got != want {
		t.Errorf("%s: Busy(%s) = %v, want %v", when, subject, got, want)
	}
}
