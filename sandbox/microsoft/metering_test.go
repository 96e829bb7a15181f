package microsoft_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// meter is a metering test's marketplace: contoso's metered subscription
// and the helpers that post usage for it.
type meter struct {
	*env
	id string
}

func newMeter(t *testing.T) meter {
	t.Helper()
	e := newEnv(t)
	return meter{env: e, id: e.subscribed("metered", nil)}
}

// usage is one event as a publisher writes it.
func usage(resource, dim, plan string, q float64, at time.Time) map[string]any {
	return map[string]any{"resourceId": resource, "quantity": q, "dimension": dim, "effectiveStartTime": at.Format(time.RFC3339Nano), "planId": plan}
}

// post sends one usage event as contoso.
func (m meter) post(body any) reply {
	m.t.Helper()
	return m.do(http.MethodPost, "/api/usageEvent"+v, m.as(0), body)
}

func (m meter) batch(items ...any) reply {
	m.t.Helper()
	return m.do(http.MethodPost, "/api/batchUsageEvent"+v, m.as(0), map[string]any{"request": items})
}

// TestUsageEventAccepted: an event of the plan's dimension is answered
// with its id, status, message time and every field echoed; resourceUri
// may name the subscription instead of resourceId.
func TestUsageEventAccepted(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	r := m.post(usage(m.id, "api-calls", "metered", 2.5, now.Add(-time.Hour)))
	if r.status != 200 || r.body["status"] != "Accepted" || r.body["resourceId"] != m.id || r.body["quantity"] != 2.5 ||
		r.body["dimension"] != "api-calls" || r.body["planId"] != "metered" || r.body["effectiveStartTime"] != "2026-03-07T09:00:00Z" ||
		r.body["messageTime"] != "2026-03-07T10:00:00Z" || len(r.body["usageEventId"].(string)) != 36 || r.body["error"] != nil {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	byURI := map[string]any{"resourceUri": "/subscriptions/" + strings.ToUpper(m.id), "quantity": 1, "dimension": "gb-stored",
		"effectiveStartTime": now.Format(time.RFC3339), "planId": "metered"}
	r = m.post(byURI)
	if r.status != 200 || r.body["resourceUri"] != byURI["resourceUri"] || r.body["resourceId"] != m.id {
		t.Fatalf("resourceUri: %d %s", r.status, r.raw)
	}
	// The same subscription by either name is the same resource.
	byURI["dimension"], byURI["effectiveStartTime"] = "api-calls", now.Add(-30*time.Minute).Format(time.RFC3339)
	if r := m.post(byURI); r.status != 409 {
		t.Fatalf("resourceUri after resourceId in the same hour: %d %s", r.status, r.raw)
	}
}

// TestUsageEventRefusals: every refusal of a single event, with the
// status the docs give it and a detail naming each bad field.
func TestUsageEventRefusals(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	flat := m.subscribed("basic", nil)
	pending := m.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "metered"}).body["subscriptionId"].(string)
	fabrikam := m.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"}).body["subscriptionId"].(string)
	ev := func(change func(map[string]any)) map[string]any {
		b := usage(m.id, "api-calls", "metered", 1, now)
		change(b)
		return b
	}
	for _, tc := range []struct {
		name    string
		body    any
		status  int
		targets []string // the details' targets, in order
		text    string   // in the first detail's message
	}{
		{"every field missing", map[string]any{}, 400, []string{"resourceId", "quantity", "dimension", "planId", "effectiveStartTime"}, "resourceId (or resourceUri) is required"},
		{"every field of the wrong type", map[string]any{"resourceId": 1, "quantity": "1", "dimension": true, "planId": []int{}, "effectiveStartTime": 5},
			400, []string{"resourceId", "quantity", "dimension", "planId", "effectiveStartTime"}, "resourceId must be a string"},
		{"nulls are missing", ev(func(b map[string]any) { b["quantity"], b["planId"] = nil, nil }), 400, []string{"quantity", "planId"}, "quantity is required"},
		{"empty dimension", ev(func(b map[string]any) { b["dimension"] = "" }), 400, []string{"dimension"}, "dimension is required"},
		{"resourceId not a GUID", ev(func(b map[string]any) { b["resourceId"] = "contoso" }), 400, []string{"resourceId"}, `must be a GUID (the subscription id), not "contoso"`},
		{"resourceId and resourceUri", ev(func(b map[string]any) { b["resourceUri"] = "/x/" + m.id }), 400, []string{"resourceUri"}, "not both"},
		{"resourceUri without an id", ev(func(b map[string]any) { delete(b, "resourceId"); b["resourceUri"] = "/subscriptions/x" }), 400, []string{"resourceUri"}, "must end with the subscription id"},
		{"a date without offset", ev(func(b map[string]any) { b["effectiveStartTime"] = "2026-03-07T10:00:00" }), 400, []string{"effectiveStartTime"}, "RFC 3339"},
		{"zero quantity", ev(func(b map[string]any) { b["quantity"] = 0 }), 400, []string{"quantity"}, "greater than 0"},
		{"negative quantity", ev(func(b map[string]any) { b["quantity"] = -0.5 }), 400, []string{"quantity"}, "greater than 0"},
		{"huge quantity", ev(func(b map[string]any) { b["quantity"] = 1e13 }), 400, []string{"quantity"}, "at most 1e+12"},
		{"beyond a double", `{"resourceId":"` + m.id + `","quantity":1e999,"dimension":"api-calls","planId":"metered","effectiveStartTime":"2026-03-07T10:00:00Z"}`,
			400, []string{"quantity"}, "out of range"},
		{"older than 24 hours", ev(func(b map[string]any) { b["effectiveStartTime"] = now.Add(-25 * time.Hour).Format(time.RFC3339) }), 400, []string{"effectiveStartTime"}, "more than 24 hours before"},
		{"in the future", ev(func(b map[string]any) { b["effectiveStartTime"] = now.Add(time.Second).Format(time.RFC3339) }), 400, []string{"effectiveStartTime"}, "in the future"},
		{"unknown dimension", ev(func(b map[string]any) { b["dimension"] = "nope" }), 400, []string{"dimension"}, "which has api-calls, gb-stored"},
		{"another plan", ev(func(b map[string]any) { b["planId"] = "basic" }), 400, []string{"planId"}, "is not the plan of resource"},
		{"a plan without dimensions", usage(flat, "api-calls", "basic", 1, now), 400, []string{"dimension"}, "has no metering dimensions"},
		{"not Subscribed", usage(pending, "api-calls", "metered", 1, now), 400, []string{"resourceId"}, "is PendingFulfillmentStart, not Subscribed"},
		{"unknown resource", usage("00000000-0000-4000-8000-000000000000", "api-calls", "metered", 1, now), 400, []string{"resourceId"}, "was not found"},
		{"several at once", ev(func(b map[string]any) { b["quantity"], b["dimension"] = 0, "nope" }), 400, []string{"quantity", "dimension"}, "greater than 0"},
		{"not an object", `[1,2]`, 400, []string{"usageEventRequest"}, "must be a JSON object"},
		{"malformed", "{", 400, []string{"body"}, "cannot be read as JSON"},
		{"a key twice", `{"quantity":1,"quantity":2}`, 400, []string{"body"}, "cannot be read as JSON"},
		{"another publisher's resource", usage(fabrikam, "api-calls", "standard", 1, now), 403, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := m.post(tc.body)
			if tc.status == 403 {
				expectError(t, r, 403, "Forbidden")
				return
			}
			expectError(t, r, tc.status, "BadArgument")
			if r.body["message"] != "One or more errors have occurred." || r.body["target"] != "usageEventRequest" {
				t.Fatalf("%s", r.raw)
			}
			details := r.body["details"].([]any)
			var targets []string
			for _, d := range details {
				d := d.(map[string]any)
				targets = append(targets, d["target"].(string))
				if d["code"] != "BadArgument" {
					t.Errorf("detail code %v", d["code"])
				}
			}
			if strings.Join(targets, ",") != strings.Join(tc.targets, ",") || !strings.Contains(details[0].(map[string]any)["message"].(string), tc.text) {
				t.Fatalf("details %v, want %v with %q: %s", targets, tc.targets, tc.text, r.raw)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		r := m.do(http.MethodPost, "/api/usageEvent"+v, map[string]string{"Authorization": m.as(0)["Authorization"], "Content-Type": "text/plain"}, usage(m.id, "api-calls", "metered", 1, now))
		expectError(t, r, 400, "BadArgument")
		if !strings.Contains(string(r.raw), "application/json") {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("no token", func(t *testing.T) {
		expectError(t, m.do(http.MethodPost, "/api/usageEvent"+v, nil, usage(m.id, "api-calls", "metered", 1, now)), 403, "Forbidden")
	})
	t.Run("a bad token", func(t *testing.T) {
		r := m.do(http.MethodPost, "/api/usageEvent"+v, map[string]string{"Authorization": "Bearer nonsense"}, usage(m.id, "api-calls", "metered", 1, now))
		expectError(t, r, 403, "Forbidden")
	})
	t.Run("no api-version", func(t *testing.T) {
		expectError(t, m.do(http.MethodPost, "/api/usageEvent", m.as(0), usage(m.id, "api-calls", "metered", 1, now)), 400, "ApiVersionUnspecified")
	})
	t.Run("nothing was accepted", func(t *testing.T) {
		if r := m.post(usage(m.id, "api-calls", "metered", 1, now)); r.status != 200 {
			t.Fatalf("after the refusals the hour is still free: %d %s", r.status, r.raw)
		}
	})
}

// TestUsageEventDuplicate: a second event for the same resource,
// dimension and hour is 409 Conflict with the accepted one inside.
func TestUsageEventDuplicate(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	first := m.post(usage(m.id, "api-calls", "metered", 10, now))
	dup := m.post(usage(m.id, "api-calls", "metered", 3, now))
	if dup.status != 409 || dup.body["code"] != "Conflict" || dup.body["message"] != "This usage event already exist." {
		t.Fatalf("%d %s", dup.status, dup.raw)
	}
	acc := dup.body["additionalInfo"].(map[string]any)["acceptedMessage"].(map[string]any)
	if acc["status"] != "Duplicate" || acc["usageEventId"] != first.body["usageEventId"] || acc["quantity"] != 10.0 || acc["messageTime"] != first.body["messageTime"] {
		t.Fatalf("acceptedMessage %v, first %s", acc, first.raw)
	}
}

// TestUsageHourBoundary: the hour is the calendar hour (UTC): 10:59 and
// 11:00 are two hours, 10:01 after 10:59 is the same hour as it.
func TestUsageHourBoundary(t *testing.T) {
	m := newMeter(t)
	m.advance(90 * time.Minute) // 11:30
	at := func(h, min int) time.Time { return time.Date(2026, 3, 7, h, min, 0, 0, time.UTC) }
	for _, step := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"10:59", at(10, 59), 200},
		{"11:00", at(11, 0), 200},
		{"10:01 after 10:59", at(10, 1), 409},
		{"11:29:59.999 after 11:00", at(11, 29).Add(59*time.Second + 999*time.Millisecond), 409},
		{"10:59 on another dimension", at(10, 59), 200},
	} {
		dim := "api-calls"
		if strings.Contains(step.name, "another dimension") {
			dim = "gb-stored"
		}
		if r := m.post(usage(m.id, dim, "metered", 1, step.at)); r.status != step.want {
			t.Fatalf("%s: %d %s, want %d", step.name, r.status, r.raw, step.want)
		}
	}
}

// TestBatchEveryStatus: one batch holding an item of every status of
// the StatusEnum, each judged alone and answered with its own error.
func TestBatchEveryStatus(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	pending := m.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "metered"}).body["subscriptionId"].(string)
	fabrikam := m.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"}).body["subscriptionId"].(string)
	noPlan := usage(m.id, "gb-stored", "metered", 1, now)
	delete(noPlan, "planId")
	items := []struct {
		item   any
		status string
		target string
	}{
		{usage(m.id, "api-calls", "metered", 5, now), "Accepted", ""},
		{usage(m.id, "api-calls", "metered", 7, now), "Duplicate", "usageEventRequest"},
		{usage(m.id, "gb-stored", "metered", 1, now.Add(-24*time.Hour-time.Second)), "Expired", "effectiveStartTime"},
		{42, "Error", "usageEventRequest"},
		{usage("00000000-0000-4000-8000-000000000000", "api-calls", "metered", 1, now), "ResourceNotFound", "resourceId"},
		{usage(fabrikam, "api-calls", "standard", 1, now), "ResourceNotAuthorized", "resourceId"},
		{usage(pending, "api-calls", "metered", 1, now), "ResourceNotActive", "resourceId"},
		{usage(m.id, "nope", "metered", 1, now), "InvalidDimension", "dimension"},
		{usage(m.id, "gb-stored", "metered", -1, now), "InvalidQuantity", "quantity"},
		{noPlan, "BadArgument", "planId"},
	}
	var body []any
	for _, it := range items {
		body = append(body, it.item)
	}
	r := m.batch(body...)
	res, _ := r.body["result"].([]any)
	if r.status != 200 || r.body["count"] != float64(len(items)) || len(res) != len(items) {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	for i, it := range items {
		got := res[i].(map[string]any)
		t.Run(it.status, func(t *testing.T) {
			if got["status"] != it.status {
				t.Fatalf("item %d: %v", i, got)
			}
			if it.status == "Accepted" {
				if got["error"] != nil || got["usageEventId"] == nil || got["messageTime"] != "2026-03-07T10:00:00Z" {
					t.Fatalf("%v", got)
				}
				return
			}
			e, _ := got["error"].(map[string]any)
			if e == nil || e["code"] != it.status || e["target"] != it.target || e["message"] == "" || got["usageEventId"] != nil {
				t.Fatalf("item %d error: %v", i, got)
			}
		})
	}
}

// TestBatchShape: 1 to 25 items in request, else 400; duplicates inside
// one batch are found in order.
func TestBatchShape(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	items := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = usage(m.id, "gb-stored", "metered", 1, now.Add(-time.Duration(i)*time.Hour))
		}
		return out
	}
	for _, tc := range []struct {
		name, body, text string
	}{
		{"26 items", "", "1 to 25 usage events, not 26"},
		{"an empty batch", `{"request":[]}`, "not 0"},
		{"no request", `{"requests":[]}`, "request is required"},
		{"request not an array", `{"request":{"resourceId":"x"}}`, "must be an array"},
		{"not an object", `[]`, "must be a JSON object"},
		{"empty body", ``, "must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.body == "" && tc.name == "26 items" {
				r = m.batch(items(26)...)
			} else {
				r = m.do(http.MethodPost, "/api/batchUsageEvent"+v, m.as(0), tc.body)
			}
			expectError(t, r, 400, "BadArgument")
			if !strings.Contains(string(r.raw), tc.text) {
				t.Fatalf("%s, want %q", r.raw, tc.text)
			}
		})
	}
	full := m.batch(items(25)...)
	if full.status != 200 || full.body["count"] != 25.0 {
		t.Fatalf("25 items: %d %s", full.status, full.raw)
	}
	for i, it := range full.body["result"].([]any) {
		// The 25th is exactly 24 hours old: still within the day.
		if got := it.(map[string]any)["status"]; got != "Accepted" {
			t.Errorf("item %d: %v", i, got)
		}
	}
	again := m.batch(items(2)...)
	for i, it := range again.body["result"].([]any) {
		if got := it.(map[string]any)["status"]; got != "Duplicate" {
			t.Errorf("again, item %d: %v", i, got)
		}
	}
}
