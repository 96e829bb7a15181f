package microsoft_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
)

// walk follows a control listing's next links from path and returns the
// ids of every item under key, failing on any page that is not 200.
func (e *env) walk(path, key string) (ids []string, pages int) {
	e.t.Helper()
	for ; path != "" && pages < 20; pages++ {
		r := e.do(http.MethodGet, path, nil, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
		for _, item := range r.body[key].([]any) {
			item := item.(map[string]any)
			if s, ok := item["subscription"].(map[string]any); ok {
				item = s
			}
			ids = append(ids, fmt.Sprint(item["id"], "/", item["attempt"]))
		}
		path, _ = r.body["next"].(string)
	}
	return ids, pages
}

// TestControlListingsArePaged: GET /_sandbox/microsoft/subscriptions and
// /webhooks answered everything at once; they are paged as GitLab's
// listings are (limit, offset, total, next; package listing), keeping
// their keys, and a bad paging value or an unknown parameter is 400.
func TestControlListingsArePaged(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"})
	}
	e.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"})
	first := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions?publisherId=contoso&limit=2", nil, nil)
	if first.body["total"] != 5.0 || first.body["limit"] != 2.0 || first.body["offset"] != 0.0 ||
		first.body["next"] != "/_sandbox/microsoft/subscriptions?limit=2&offset=2&publisherId=contoso" || len(first.body["subscriptions"].([]any)) != 2 {
		t.Fatalf("%s", first.raw)
	}
	if ids, pages := e.walk("/_sandbox/microsoft/subscriptions?publisherId=contoso&limit=2", "subscriptions"); len(ids) != 5 || pages != 3 {
		t.Fatalf("%d pages, %v", pages, ids)
	}
	if all := e.do(http.MethodGet, "/_sandbox/microsoft/subscriptions?publisherId=", nil, nil); all.body["total"] != 6.0 || all.body["next"] != nil {
		t.Fatalf("an empty filter is no filter: %s", all.raw)
	}

	id := e.subscribed("basic", nil)
	for _, action := range []string{"Suspend", "Reinstate", "Suspend"} {
		e.event(id, map[string]any{"action": action})
	}
	e.flush()
	if ids, pages := e.walk("/_sandbox/microsoft/webhooks?limit=1&subscriptionId="+id, "webhooks"); len(ids) != 3 || pages != 3 {
		t.Fatalf("%d pages, %v", pages, ids)
	}
	for _, path := range []string{
		"/_sandbox/microsoft/webhooks?limit=0", "/_sandbox/microsoft/webhooks?limit=1001", "/_sandbox/microsoft/webhooks?limit=ten",
		"/_sandbox/microsoft/webhooks?offset=-1", "/_sandbox/microsoft/webhooks?limit=1&limit=2", "/_sandbox/microsoft/webhooks?page=2",
		"/_sandbox/microsoft/subscriptions?limit=1.5", "/_sandbox/microsoft/subscriptions?cursor=x",
		"/_sandbox/microsoft/sample/webhooks?limit=0", "/_sandbox/microsoft/webhooks/pending?offset=x",
	} {
		t.Run(path, func(t *testing.T) {
			r := e.do(http.MethodGet, path, nil, nil)
			if r.status != 400 || r.body["error"] != "invalid_request" || r.body["error_description"] == "" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
}

// TestDeliveryLogsKeepTheNewest: the webhook delivery log and the sample
// receiver's log grew without bound; they keep the newest
// microsoft.webhook.max_deliveries rows.
func TestDeliveryLogsKeepTheNewest(t *testing.T) {
	e := newEnv(t, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.Webhook.MaxDeliveries = 3 } })
	id := e.subscribed("basic", nil)
	actions := []string{"Suspend", "Reinstate", "Suspend", "Reinstate", "Suspend"}
	for _, action := range actions {
		e.event(id, map[string]any{"action": action})
		e.flush()
	}
	rows := e.webhooks(id)
	var got []string
	for _, r := range rows {
		got = append(got, r["action"].(string))
	}
	if strings.Join(got, ",") != "Suspend,Reinstate,Suspend" {
		t.Fatalf("kept %v, want the newest three", got)
	}
	if r := e.do(http.MethodGet, "/_sandbox/microsoft/sample/webhooks", nil, nil); r.body["total"] != 3.0 {
		t.Fatalf("sample receiver: %s", r.raw)
	}
}

// TestUsageEventsAreBounded: the metering store grew without bound; it
// keeps the newest microsoft.max_usage_events events, and the oldest,
// forgotten, is no longer a duplicate.
func TestUsageEventsAreBounded(t *testing.T) {
	e := newEnv(t, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.MaxUsageEvents = 2 } })
	id := e.subscribed("metered", nil)
	now := e.clock.Now()
	post := func(dim string, at time.Time) int {
		body := map[string]any{"resourceId": id, "quantity": 1, "dimension": dim, "effectiveStartTime": at.Format(time.RFC3339), "planId": "metered"}
		return e.do(http.MethodPost, "/api/usageEvent"+v, e.as(0), body).status
	}
	for _, ev := range []struct {
		dim  string
		at   time.Time
		want int
	}{
		{"api-calls", now, 200},
		{"gb-stored", now, 200},
		{"api-calls", now.Add(-time.Hour), 200}, // the first is forgotten
		{"gb-stored", now, 409},                 // still kept
		{"api-calls", now, 200},                 // forgotten: accepted again
	} {
		if got := post(ev.dim, ev.at); got != ev.want {
			t.Fatalf("%s at %s: %d, want %d", ev.dim, ev.at, got, ev.want)
		}
	}
}

// TestLogBoundsAreSettings: the bounds are validated like every setting.
func TestLogBoundsAreSettings(t *testing.T) {
	s := microsoft.DefaultSettings()
	if s.Webhook.MaxDeliveries != 10_000 || s.MaxUsageEvents != 10_000 {
		t.Fatalf("defaults %d, %d", s.Webhook.MaxDeliveries, s.MaxUsageEvents)
	}
	s.Webhook.MaxDeliveries, s.MaxUsageEvents = 0, 2_000_000
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "microsoft.webhook.max_deliveries: 0") || !strings.Contains(err.Error(), "microsoft.max_usage_events: 2000000") {
		t.Fatalf("%v", err)
	}
}
