package microsoft

// boundedLog keeps the newest max rows, oldest first: the memory of a
// record that clients grow (webhook attempts, the sample receiver's
// deliveries, accepted usage events), which would otherwise grow for as
// long as the sandbox runs. Adding past max drops the oldest row and
// returns it, for an owner that indexes its rows. The dropped prefix is
// compacted away once it is half the slice, so memory stays within about
// twice max rows and each add costs O(1) amortised. Its owner locks it.
type boundedLog[T any] struct {
	max int
	// rows[head:] are kept; rows[:head] were dropped (and zeroed).
	head int
	rows []T
}

func newBoundedLog[T any](max int) boundedLog[T] { return boundedLog[T]{max: max} }

// add appends v; when that passes max it drops the oldest row, which it
// returns with true.
func (l *boundedLog[T]) add(v T) (dropped T, ok bool) {
	l.rows = append(l.rows, v)
	if len(l.rows)-l.head <= l.max {
		return dropped, false
	}
	var zero T
	dropped, l.rows[l.head] = l.rows[l.head], zero
	l.head++
	if l.head >= len(l.rows)/2 {
		n := copy(l.rows, l.rows[l.head:])
		clear(l.rows[n:])
		l.rows, l.head = l.rows[:n], 0
	}
	return dropped, true
}

// all is the kept rows, oldest first; the owner copies what it hands out.
func (l *boundedLog[T]) all() []T { return l.rows[l.head:] }

func (l *boundedLog[T]) reset() { l.rows, l.head = nil, 0 }
