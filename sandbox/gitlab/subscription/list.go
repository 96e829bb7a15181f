package subscription

import (
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
)

// Filter selects subscriptions for List; empty fields match everything.
type Filter struct {
	Partner    string
	ExternalID string
	Status     Status
}

func (f Filter) matches(r *record) bool {
	return (f.Partner == "" || f.Partner == r.key.Partner) &&
		(f.ExternalID == "" || f.ExternalID == r.key.ExternalID) &&
		(f.Status == "" || f.Status == r.status)
}

// Page is one page of a listing: the subscriptions, oldest claimed first,
// how many match in all, and the cursor of the last one when more follow
// (0 otherwise).
type Page struct {
	Subscriptions []Subscription
	Total         int
	Next          uint64
}

// List returns one page of the matching subscriptions, in the order they
// were claimed, starting after the cursor pg.After or at pg.Offset. It
// copies only the page, however many the store holds, and thaws frozen
// ones outside its lock, so a listing does not stall the API.
func (s *Store) List(f Filter, pg listing.Page) (Page, error) {
	type item struct {
		live   *Subscription
		frozen []byte
	}
	var (
		out  Page
		page []item
		last uint64
	)
	s.mu.Lock()
	evicted := s.sweepLocked()
	start := 0
	if pg.After > 0 {
		start = s.after(pg.After)
	}
	skip := pg.Offset
	for _, r := range s.order[start:] {
		if r.removed || !f.matches(r) {
			continue
		}
		out.Total++
		switch {
		case pg.After == 0 && skip > 0:
			skip--
		case len(page) < pg.Limit:
			it := item{frozen: r.frozen}
			if r.frozen == nil {
				c := r.sub.clone()
				it.live = &c
			}
			page, last = append(page, it), r.seq
		case out.Next == 0:
			out.Next = last
		}
	}
	if pg.After > 0 {
		// The total counts every match, not only those after the cursor.
		for _, r := range s.order[:start] {
			if !r.removed && f.matches(r) {
				out.Total++
			}
		}
	}
	s.mu.Unlock()
	s.evicted(evicted)
	out.Subscriptions = make([]Subscription, 0, len(page))
	for _, it := range page {
		if it.live != nil {
			out.Subscriptions = append(out.Subscriptions, *it.live)
			continue
		}
		fr, err := thaw(it.frozen)
		if err != nil {
			return Page{}, err
		}
		out.Subscriptions = append(out.Subscriptions, fr.Sub)
	}
	return out, nil
}
