package clock

import (
	"sort"
	"time"
)

// entry is one scheduled job; index is its place in the heap, -1 once it has
// left it (fired, stopped or cleared).
type entry struct {
	due   time.Time
	seq   uint64
	name  string
	job   Job
	index int
	// fired numbers the job once it has left the queue to run.
	fired uint64
}

// jobQueue is a min-heap ordered by due time, then by scheduling order.
type jobQueue []*entry

func (q jobQueue) Len() int { return len(q) }

func (q jobQueue) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}

func (q jobQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *jobQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}

func (q *jobQueue) Pop() any {
	old := *q
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*q = old[:n-1]
	return e
}

func sortPending(p []Pending) {
	sort.Slice(p, func(i, j int) bool {
		if p[i].Due.Equal(p[j].Due) {
			return p[i].seq < p[j].seq
		}
		return p[i].Due.Before(p[j].Due)
	})
}
