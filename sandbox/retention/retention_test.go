package retention_test

import (
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestQueueEvictsOldestFinalFirst(t *testing.T) {
	moving := map[int]bool{2: true}
	held := map[int]bool{}
	q := retention.NewQueue[int](retention.Policy{MaxRecords: 3})
	for i := range 6 {
		held[i] = true
		q.Final(i, t0.Add(time.Duration(i)*time.Minute))
	}
	evict := func(k int) retention.Outcome {
		switch {
		case !held[k]:
			return retention.Gone
		case moving[k]:
			return retention.Moving
		}
		delete(held, k)
		return retention.Evicted
	}
	got := q.Evict(t0, len(held), evict)
	if got[retention.ReasonMaxRecords] != 3 || held[0] || held[1] || !held[2] || held[3] || !held[4] || !held[5] {
		t.Fatalf("evicted %v, left %v: want 0, 1 and 3 evicted and the moving 2 kept", got, held)
	}
	delete(moving, 2)
	if got := q.Evict(t0, len(held), evict); got[retention.ReasonMaxRecords] != 0 {
		t.Errorf("evicted %v with 3 held and a bound of 3", got)
	}
	if got := q.Evict(t0, 4, evict); got[retention.ReasonMaxRecords] != 1 || !held[2] || held[4] {
		t.Errorf("the requeued record jumped the queue: evicted %v, left %v", got, held)
	}
}

func TestQueueEvictsByAgeOnTheGivenClock(t *testing.T) {
	q := retention.NewQueue[string](retention.Policy{MaxAge: time.Hour})
	q.Final("a", t0)
	q.Final("b", t0.Add(30*time.Minute))
	var gone []string
	evict := func(k string) retention.Outcome { gone = append(gone, k); return retention.Evicted }
	if got := q.Evict(t0.Add(59*time.Minute), 2, evict); len(got) != 0 {
		t.Fatalf("evicted %v before an hour passed", got)
	}
	if got := q.Evict(t0.Add(time.Hour), 2, evict); got[retention.ReasonMaxAge] != 1 || len(gone) != 1 || gone[0] != "a" {
		t.Fatalf("after an hour evicted %v (%v), want a alone", got, gone)
	}
	if q.Len() != 1 {
		t.Errorf("queue holds %d, want b", q.Len())
	}
}

func TestUnboundedPolicyKeepsNoQueue(t *testing.T) {
	q := retention.NewQueue[int](retention.Policy{})
	for i := range 1000 {
		q.Final(i, t0)
	}
	if q.Len() != 0 {
		t.Errorf("an unbounded policy queued %d records", q.Len())
	}
}

func TestPolicyRefusesNegativeBounds(t *testing.T) {
	err := retention.Policy{MaxRecords: -1, MaxAge: -time.Second}.Validate()
	if err == nil || !contains(err.Error(), "retention.max_records") || !contains(err.Error(), "retention.max_age") {
		t.Errorf("Validate() = %v, want both bounds named", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
