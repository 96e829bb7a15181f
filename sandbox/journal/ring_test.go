package journal

import "testing"

// TestRingKeepsOrderAcrossWrapsAndGrowth pushes and pops in a pattern
// that wraps the array and then grows it while it is wrapped.
func TestRingKeepsOrderAcrossWrapsAndGrowth(t *testing.T) {
	var q ring
	next, oldest := uint64(1), uint64(1)
	check := func(step string) {
		t.Helper()
		for i := range q.len() {
			if got := q.at(i).id; got != oldest+uint64(i) {
				t.Fatalf("%s: record %d has id %d, want %d", step, i, got, oldest+uint64(i))
			}
		}
		if uint64(q.len()) != next-oldest {
			t.Fatalf("%s: %d records, want %d", step, q.len(), next-oldest)
		}
	}
	for round, pushes := range []int{10, 30, 5, 100, 3} {
		for range pushes {
			q.push(record{id: next, path: "/p"})
			next++
		}
		check("after pushing")
		for range pushes * 2 / 3 {
			if got := q.pop().id; got != oldest {
				t.Fatalf("round %d: popped %d, want %d", round, got, oldest)
			}
			oldest++
		}
		check("after popping")
	}
	for i := range q.buf {
		if r := q.buf[i]; r.id != 0 && (r.id < oldest || r.id >= next) {
			t.Fatalf("slot %d still holds evicted record %d", i, r.id)
		}
	}
	q.clear()
	if q.len() != 0 || q.buf != nil {
		t.Fatal("clear kept records")
	}
}

func TestStoreGetFindsEveryKeptIDAfterWrapping(t *testing.T) {
	s := NewStore(Settings{MaxEntries: 20, MaxBytes: 1 << 20, BodyBytes: 16})
	for range 57 {
		s.Append(Entry{Method: "GET", Path: "/x", Response: Message{Body: "a body longer than sixteen bytes"}})
	}
	for id := uint64(1); id <= 60; id++ {
		e, ok := s.Get(id)
		if want := id > 37 && id <= 57; ok != want || ok && e.ID != id {
			t.Errorf("Get(%d) = %d, %v; want kept %v", id, e.ID, ok, want)
		}
	}
	e, _ := s.Get(57)
	if e.Response.Body != "a body longer th" || !e.Response.Truncated {
		t.Errorf("Append did not cut the body to body_bytes: %+v", e.Response)
	}
	if res := s.Find(Query{}); res.Total != 20 || res.Dropped != 37 || res.Entries[0].ID != 38 {
		t.Errorf("Find: total %d dropped %d first %d", res.Total, res.Dropped, res.Entries[0].ID)
	}
}
