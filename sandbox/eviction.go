package sandbox

import (
	"encoding/json"
	"net/http"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
)

// evictionObserver is what a marketplace's stores tell of the records
// retention forgot: the journal gets a note of DirectionSandbox on the
// listing that lost them ("EVICT /_sandbox/gitlab/subscriptions"), so a
// reader who finds an order gone learns why and when, and the metrics
// count them.
func (s *Sandbox) evictionObserver(marketplace string) retention.Observer {
	return func(ev retention.Eviction) {
		if s.metrics != nil {
			s.metrics.Evicted(marketplace, ev.Kind, ev.Count)
		}
		rec := s.recorder
		if rec == nil || ev.Quiet {
			return
		}
		body, _ := json.Marshal(map[string]any{"kind": ev.Kind, "reason": ev.Reason, "evicted": ev.Count, "keys": ev.Keys})
		rec.Note(journal.Entry{
			At: s.clock.Now(), API: marketplace, Method: "EVICT", Path: ev.Listing, Status: http.StatusOK,
			Latency:  "0s",
			Response: journal.Message{Headers: http.Header{"Content-Type": {"application/json"}}, Body: string(body), BodyBytes: int64(len(body))},
		})
	}
}
