package microsoft

import (
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
)

// listUsage is GET /_sandbox/microsoft/usage[?subscriptionId=]: every
// usage event the metering service received, accepted or refused, oldest
// first, with the route it came in on, what it was answered and when (the
// newest microsoft.max_usage_events), paged like every control listing.
// A subscriptionId must be a subscription the sandbox knows.
func (m *Marketplace) listUsage(r *http.Request) (any, error) {
	q, pg, err := listing.Query(r, "subscriptionId")
	if err != nil {
		return nil, controlBad("%s", err)
	}
	id := strings.ToLower(q.Get("subscriptionId"))
	if _, set := q["subscriptionId"]; set {
		if !isGUID(id) {
			return nil, controlBad("subscriptionId must be a subscription id (a GUID), not %q.", cut(q.Get("subscriptionId")))
		}
		if _, err := m.subs.Get(id); err != nil {
			return nil, controlNotFound("No subscription %s.", id)
		}
	}
	return listing.Of(r, "usage", m.meters.receivedEvents(id), pg), nil
}
