package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestMicrosoftRetentionIsJournaled: with retention.max_records set, the
// sandbox forgets the oldest final subscription and says so in the
// journal: an entry of direction sandbox, EVICT
// /_sandbox/microsoft/subscriptions, naming it; GET of it is then 404 as
// for a subscription never made.
func TestMicrosoftRetentionIsJournaled(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Retention.MaxRecords = 1 }))
	var ended []string
	for range 2 {
		sub := activeSubscription(t, srv.URL, fixtures.Default().Microsoft.Publishers[0])
		if a := mustSend(t, http.MethodPost, srv.URL+"/_sandbox/microsoft/subscriptions/"+sub+"/events",
			`{"action":"Unsubscribe"}`, "Content-Type", jsonType); a.status != http.StatusAccepted {
			t.Fatalf("unsubscribe: %d %s", a.status, a.raw)
		}
		ended = append(ended, sub)
	}
	if a := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/subscriptions/"+ended[0], ""); a.status != http.StatusNotFound {
		t.Errorf("the oldest final subscription: %d, want 404", a.status)
	}
	if a := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/subscriptions/"+ended[1], ""); a.status != http.StatusOK {
		t.Errorf("the newest final subscription: %d, want 200", a.status)
	}
	var found bool
	for _, e := range journalEntries(t, srv.URL, "direction=sandbox") {
		if e.Method == "EVICT" && e.Path == "/_sandbox/microsoft/subscriptions" {
			found = true
		}
	}
	a := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/journal?direction=sandbox", "")
	if !found || !strings.Contains(a.raw, ended[0]) || !strings.Contains(a.raw, "max_records") {
		t.Errorf("no journal note of the eviction of %s: %s", ended[0], a.raw)
	}
}
