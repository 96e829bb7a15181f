package microsoft

import (
	"sync"
	"time"
)

// usageEntry is one usage event as the metering service received it:
// the event as answered, what it was judged, and the subscription it
// named (when it named one the sandbox knows). Accepted entries are kept
// twice over, by the duplicate index and in the received log, as one
// pointer, so an accepted event costs one entry.
type usageEntry struct {
	// ReceivedAt is the sandbox clock when the event arrived.
	ReceivedAt time.Time `json:"receivedAt"`
	// API is the route it came in on: usageEvent or batchUsageEvent.
	API string `json:"api"`
	// SubscriptionID is the subscription the event named, "" when it
	// named none the sandbox knows.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// HTTPStatus is what the route answered for it: the single event's
	// status, or 200 for each item of a batch.
	HTTPStatus int        `json:"httpStatus"`
	Event      usageEvent `json:"event"`
	// publisherID and offerID are the subscription's, for the report.
	publisherID, offerID string
}

// meterStore keeps what the metering service has seen: the newest
// microsoft.max_usage_events accepted events, indexed by resource,
// dimension and hour for duplicate detection and GET /api/usageEvents,
// and, bounded alike, every event received (accepted or refused) for the
// control API. Beyond the bound the oldest is forgotten: a forgotten
// accepted event is no longer a duplicate and leaves the report. Events
// older than 24 hours are refused anyway, so with a bound above a day's
// events duplicate detection is unchanged.
type meterStore struct {
	// mu guards byKey, accepted and received.
	mu       sync.Mutex
	byKey    map[meterKey]*usageEntry
	accepted boundedLog[*usageEntry]
	received boundedLog[*usageEntry]
}

// meterKey is what makes two events duplicates (docs/microsoft.md §7):
// the same resource and dimension in the same calendar hour (UTC).
type meterKey struct {
	resource, dimension string
	hour                int64
}

func keyOf(e *usageEntry) meterKey {
	return meterKey{e.Event.ResourceID, e.Event.Dimension, e.Event.EffectiveStartTime.Unix() / 3600}
}

func newMeterStore(max int) *meterStore {
	return &meterStore{byKey: map[meterKey]*usageEntry{}, accepted: newBoundedLog[*usageEntry](max), received: newBoundedLog[*usageEntry](max)}
}

func (s *meterStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byKey = map[meterKey]*usageEntry{}
	s.accepted.reset()
	s.received.reset()
}

// accept keeps e, judged Accepted, unless its resource, dimension and
// hour already have an event: then e becomes a Duplicate answered with
// duplicateStatus, and accept returns the accepted event and false.
// Either way e is logged as received; it is not changed after.
func (s *meterStore) accept(e *usageEntry, duplicateStatus int) (usageEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(e)
	if prev, ok := s.byKey[k]; ok {
		e.Event.Status, e.Event.UsageEventID, e.Event.MessageTime = usageDuplicate, "", time.Time{}
		e.Event.Error = duplicateError(prev.Event.UsageEventID)
		e.HTTPStatus = duplicateStatus
		s.logReceived(e)
		return prev.Event, false
	}
	s.byKey[k] = e
	if oldest, dropped := s.accepted.add(e); dropped {
		if ok := s.byKey[keyOf(oldest)] == oldest; ok {
			delete(s.byKey, keyOf(oldest))
		}
	}
	s.logReceived(e)
	return e.Event, true
}

// len counts the accepted events kept and the received ones logged.
func (s *meterStore) len() (accepted, received int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted.all()), len(s.received.all())
}

// refused logs an event that was judged and refused before the store.
func (s *meterStore) refused(e *usageEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logReceived(e)
}

func (s *meterStore) logReceived(e *usageEntry) { s.received.add(e) }

// acceptedEvents is a copy of the accepted events, oldest first, for the
// report; keep chooses them under the lock, so only the kept are copied.
func (s *meterStore) acceptedEvents(keep func(*usageEntry) bool) []usageEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []usageEntry
	for _, e := range s.accepted.all() {
		if keep(e) {
			out = append(out, *e)
		}
	}
	return out
}

// receivedEvents is a copy of the received events of one subscription
// (all when subscriptionID is ""), oldest first.
func (s *meterStore) receivedEvents(subscriptionID string) []usageEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []usageEntry{}
	for _, e := range s.received.all() {
		if subscriptionID == "" || e.SubscriptionID == subscriptionID {
			out = append(out, *e)
		}
	}
	return out
}
