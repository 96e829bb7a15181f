package microsoft

import "testing"

// TestBoundedLogKeepsTheNewestInBoundedMemory: after any number of adds
// the log holds the newest max rows in order, returns each dropped row
// once, and never holds more than twice max.
func TestBoundedLogKeepsTheNewestInBoundedMemory(t *testing.T) {
	for _, max := range []int{1, 2, 3, 10} {
		l := newBoundedLog[int](max)
		next := 0
		for i := range 1000 {
			if dropped, ok := l.add(i); ok {
				if dropped != next {
					t.Fatalf("max %d: dropped %d, want %d", max, dropped, next)
				}
				next++
			}
			if len(l.rows) > 2*max+1 {
				t.Fatalf("max %d: %d rows held", max, len(l.rows))
			}
		}
		kept := l.all()
		if len(kept) != max || kept[0] != 1000-max || kept[max-1] != 999 || next != 1000-max {
			t.Fatalf("max %d: kept %v, dropped %d", max, kept, next)
		}
	}
}
