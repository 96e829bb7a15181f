package subscription

import (
	"sort"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// Kind is what the metrics call the records evicted, Listing the
// control route that lists them (the journal's note of an eviction).
const (
	Kind    = "orders"
	Listing = "/_sandbox/gitlab/subscriptions"
)

// Evicted is a subscription retention forgot.
type Evicted struct {
	Key
	Number string
}

// sweepLocked evicts what the retention policy no longer keeps and
// returns what it evicted, for the owner's cleanup.
func (s *Store) sweepLocked() []Evicted {
	if !s.opts.Retention.Bounded() || s.final.Len() == 0 {
		return nil
	}
	var gone []Evicted
	var keys []string
	counts := s.final.Evict(s.opts.Now(), len(s.records), func(r *record) retention.Outcome {
		if r.removed || s.records[r.key] != r {
			return retention.Gone
		}
		if s.opts.Moving != nil && s.opts.Moving(r.number) {
			return retention.Moving
		}
		s.removeLocked(r)
		gone = append(gone, Evicted{Key: r.key, Number: r.number})
		keys = append(keys, r.key.Partner+"/"+r.key.ExternalID)
		return retention.Evicted
	})
	retention.Report(s.opts.Observe, Kind, Listing, counts, keys)
	return gone
}

// removeLocked forgets r and its number; its place in the order stays
// as a tombstone (so the order stays searchable by seq) until compaction.
func (s *Store) removeLocked(r *record) {
	delete(s.records, r.key)
	if r.number != "" && s.byNumber[r.number] == r {
		delete(s.byNumber, r.number)
	}
	s.thawed.drop(r)
	r.removed, r.sub, r.frozen, r.reply = true, nil, nil, nil
	s.gaps++
	if s.gaps > 64 && s.gaps > len(s.order)/2 {
		kept := s.order[:0]
		for _, o := range s.order {
			if !o.removed {
				kept = append(kept, o)
			}
		}
		clear(s.order[len(kept):])
		s.order, s.gaps = kept, 0
	}
}

// after is the index in order of the first record claimed after seq.
func (s *Store) after(seq uint64) int {
	return sort.Search(len(s.order), func(i int) bool { return s.order[i].seq > seq })
}

// evicted hands what a sweep evicted to the owner.
func (s *Store) evicted(gone []Evicted) {
	if len(gone) > 0 && s.opts.Evicted != nil {
		s.opts.Evicted(gone)
	}
}
