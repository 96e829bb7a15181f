package subscription

import (
	"strconv"
	"testing"
)

// BenchmarkLen is what a metrics scrape costs the store: it walks every
// subscription to count their operations, under the lock.
func BenchmarkLen(b *testing.B) {
	st := NewStore()
	for i := range 300_000 {
		st.Add(Subscription{ID: "sub-" + strconv.Itoa(i)}, Event{Kind: "Purchased"})
	}
	b.ResetTimer()
	for b.Loop() {
		if n, _ := st.Counts(); n != 300_000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkLenHold is the longest the store's lock is held by one step
// of Len: lenChunk subscriptions.
func BenchmarkLenHold(b *testing.B) {
	st := NewStore()
	for i := range lenChunk {
		st.Add(Subscription{ID: "sub-" + strconv.Itoa(i)}, Event{Kind: "Purchased"})
	}
	b.ResetTimer()
	for b.Loop() {
		st.Counts()
	}
}
