package microsoft_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestMetering: usage of a metered plan's dimensions (docs/microsoft.md
// §7, §10): accepted once per resource, dimension and hour, and every
// refusal with its status.
func TestMetering(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("metered", nil)
	flat := e.subscribed("basic", nil)
	fabrikam := e.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"}).body["subscriptionId"].(string)
	now := e.clock.Now()
	event := func(resource, dim, plan string, q float64, at time.Time) map[string]any {
		return map[string]any{"resourceId": resource, "quantity": q, "dimension": dim, "effectiveStartTime": at.Format(time.RFC3339), "planId": plan}
	}
	post := func(body any) reply { return e.do(http.MethodPost, "/api/usageEvent"+v, e.as(0), body) }
	r := post(event(id, "api-calls", "metered", 10, now))
	if r.status != 200 || r.body["status"] != "Accepted" || r.body["usageEventId"] == nil {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	dup := post(event(id, "api-calls", "metered", 3, now.Add(30*time.Minute)))
	if dup.status != 409 || dup.body["message"] != "This usage event already exist." ||
		dup.body["additionalInfo"].(map[string]any)["acceptedMessage"].(map[string]any)["status"] != "Duplicate" {
		t.Fatalf("%d %s", dup.status, dup.raw)
	}
	for _, tc := range []struct {
		name string
		body any
	}{
		{"older than 24 hours", event(id, "api-calls", "metered", 1, now.Add(-25*time.Hour))},
		{"zero quantity", event(id, "gb-stored", "metered", 0, now)},
		{"unknown dimension", event(id, "nope", "metered", 1, now)},
		{"other plan", event(id, "api-calls", "basic", 1, now)},
		{"plan without dimensions", event(flat, "api-calls", "basic", 1, now)},
		{"unknown resource", event("00000000-0000-4000-8000-000000000000", "api-calls", "metered", 1, now)},
		{"missing fields", map[string]any{"quantity": 1}},
		{"malformed", "{"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.body)
			expectError(t, r, 400, "BadArgument")
			if r.body["message"] != "One or more errors have occurred." || r.body["target"] != "usageEventRequest" {
				t.Fatalf("%s", r.raw)
			}
		})
	}
	if r := post(event(fabrikam, "x", "standard", 1, now)); r.status != 403 {
		t.Fatalf("another publisher's resource: %d", r.status)
	}
	batch := map[string]any{"request": []any{
		event(id, "gb-stored", "metered", 2, now), event(id, "gb-stored", "metered", 2, now),
		event(id, "api-calls", "metered", 1, now.Add(-48*time.Hour)), event(fabrikam, "x", "standard", 1, now),
		event(flat, "api-calls", "basic", 1, now), event(id, "api-calls", "metered", -1, now),
	}}
	b := e.do(http.MethodPost, "/api/batchUsageEvent"+v, e.as(0), batch)
	want := []string{"Accepted", "Duplicate", "Expired", "ResourceNotAuthorized", "InvalidDimension", "InvalidQuantity"}
	res := b.body["result"].([]any)
	if b.status != 200 || b.body["count"] != 6.0 || len(res) != 6 {
		t.Fatalf("%d %s", b.status, b.raw)
	}
	for i, w := range want {
		if got := res[i].(map[string]any)["status"]; got != w {
			t.Errorf("item %d: %v, want %s", i, got, w)
		}
	}
	big := make([]any, 26)
	for i := range big {
		big[i] = event(id, "gb-stored", "metered", 1, now)
	}
	expectError(t, e.do(http.MethodPost, "/api/batchUsageEvent"+v, e.as(0), map[string]any{"request": big}), 400, "BadArgument")
	list := e.do(http.MethodGet, "/api/usageEvents"+v+"&usageStartDate="+now.Add(-time.Hour).Format(time.DateOnly), e.as(0), nil)
	if list.status != 200 || len(list.raw) < 10 || !json.Valid(list.raw) {
		t.Fatalf("%d %s", list.status, list.raw)
	}
	var rows []map[string]any
	_ = json.Unmarshal(list.raw, &rows)
	if len(rows) != 2 || rows[0]["submittedCount"] != 1.0 || rows[0]["offerType"] != "SaaS" {
		t.Fatalf("%s", list.raw)
	}
	expectError(t, e.do(http.MethodGet, "/api/usageEvents"+v, e.as(0), nil), 400, "BadArgument")
}
