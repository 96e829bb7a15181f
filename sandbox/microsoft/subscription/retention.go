package subscription

import (
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Len is how many subscriptions the store holds.
func (st *Store) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID)
}

// Evict forgets the final subscriptions the retention policy no longer
// keeps, oldest final first (package retention), at now on the sandbox
// clock. moving says whether the marketplace still has work for one (a
// webhook due or retrying): such a one is kept, and so is one that is not
// final, which never reaches the queue anyway. It returns the evicted
// ids, oldest first, and how many by reason. An evicted subscription is
// gone as if it had never been made: Get answers NotFound.
func (st *Store) Evict(now time.Time, moving func(id string) bool) ([]string, map[retention.Reason]int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var evicted []string
	counts := st.retains.Evict(now, len(st.byID), func(id string) retention.Outcome {
		rec, ok := st.byID[id]
		switch {
		case !ok:
			return retention.Gone
		case rec.live != nil && !rec.live.final(), moving != nil && moving(id):
			return retention.Moving
		}
		delete(st.byID, id)
		rec.gone, rec.live, rec.frozen = true, nil, nil
		st.holes++
		evicted = append(evicted, id)
		return retention.Evicted
	})
	st.compact()
	return evicted, counts
}

// compact drops the evicted records from order once they are half of it,
// so that evicting costs O(1) amortised.
func (st *Store) compact() {
	if st.holes == 0 || st.holes*2 < len(st.order) {
		return
	}
	kept := make([]*record, 0, len(st.order)-st.holes)
	for _, rec := range st.order {
		if !rec.gone {
			kept = append(kept, rec)
		}
	}
	st.order, st.holes = kept, 0
}

// Bounded reports whether the store's retention policy ever evicts.
func (st *Store) Bounded() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.retains.Policy()
	return p.Bounded()
}

// Page is the page of subscriptions of publisherID (all when "") that
// starts at offset, at most limit of them, oldest first, and how many
// match in all. It counts by the record's publisher and copies only the
// page, so a listing of a store of 300 000 costs one pass over pointers,
// not a copy of every subscription (List's).
func (st *Store) Page(publisherID string, offset, limit int) ([]Subscription, int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []Subscription{}
	total := 0
	for _, rec := range st.order {
		if rec.gone || (publisherID != "" && rec.publisherID != publisherID) {
			continue
		}
		if total >= offset && len(out) < limit {
			out = append(out, st.subscriptionOf(rec))
		}
		total++
	}
	return out, total
}
