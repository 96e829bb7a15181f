package journal

// ring is a queue of records, oldest first, in one array that grows by
// half again and is then reused: appending at the back and evicting at the
// front allocate nothing once the journal is full, where a slice that is
// cut at the front would keep reallocating (and hold two arrays at once).
type ring struct {
	buf   []record
	head  int // index of the oldest record
	count int
}

func (q *ring) len() int { return q.count }

// at returns the i-th oldest record.
func (q *ring) at(i int) *record { return &q.buf[(q.head+i)%len(q.buf)] }

func (q *ring) push(e record) {
	if q.count == len(q.buf) {
		grown := make([]record, max(16, len(q.buf)+len(q.buf)/2))
		for i := range q.count {
			grown[i] = *q.at(i)
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.count)%len(q.buf)] = e
	q.count++
}

// pop forgets the oldest record and returns it.
func (q *ring) pop() record {
	e := q.buf[q.head]
	q.buf[q.head] = record{} // let the collector have its strings
	q.head = (q.head + 1) % len(q.buf)
	q.count--
	return e
}

// clear forgets every record and lets the array go.
func (q *ring) clear() { *q = ring{} }
