package microsoft_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rows reads GET /api/usageEvents as contoso.
func (m meter) rows(t *testing.T, query string) []map[string]any {
	t.Helper()
	r := m.do(http.MethodGet, "/api/usageEvents"+v+"&"+query, m.as(0), nil)
	var out []map[string]any
	if r.status != 200 || json.Unmarshal(r.raw, &out) != nil {
		t.Fatalf("%s: %d %s", query, r.status, r.raw)
	}
	return out
}

// TestUsageReport: accepted usage summed per usage date, resource and
// dimension, filtered by every parameter of the docs, on the sandbox
// clock; refused and other publishers' events are not in it.
func TestUsageReport(t *testing.T) {
	m := newMeter(t)
	m.advance(20 * time.Hour) // 8 March 06:00
	other := m.subscribed("metered", nil)
	at := func(day, h int) time.Time { return time.Date(2026, 3, day, h, 0, 0, 0, time.UTC) }
	for _, ev := range []map[string]any{
		usage(m.id, "api-calls", "metered", 10, at(7, 10)),
		usage(m.id, "api-calls", "metered", 5.5, at(7, 11)),
		usage(m.id, "gb-stored", "metered", 2, at(7, 23)),
		usage(m.id, "api-calls", "metered", 1, at(8, 0)),
		usage(other, "api-calls", "metered", 4, at(8, 5)),
	} {
		if r := m.post(ev); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	}
	m.post(usage(m.id, "api-calls", "metered", 99, at(7, 10))) // a duplicate, not counted
	all := m.rows(t, "usageStartDate=2026-03-07")
	if len(all) != 4 {
		t.Fatalf("%v", all)
	}
	first := all[0]
	if first["usageDate"] != "2026-03-07T00:00:00Z" || first["usageResourceId"] != m.id || first["dimension"] != "api-calls" ||
		first["submittedQuantity"] != 15.5 || first["processedQuantity"] != 15.5 || first["submittedCount"] != 2.0 ||
		first["planId"] != "metered" || first["planName"] != "Pay as you go (metered)" || first["offerId"] != "contoso-analytics" ||
		first["offerType"] != "SaaS" || first["reconStatus"] != "Accepted" {
		t.Fatalf("%v", first)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		// Names are read without regard to case, as ASP.NET binds them:
		// more than the document, which names each one way.
		{"USAGESTARTDATE=2026-03-07&usageenddate=2026-03-07", 2},
		{"usageStartDate=2026-03-08", 2},
		{"usageStartDate=2026-03-07T11:00", 4},
		{"usageStartDate=2026-03-07T11:00:01", 3},
		{"usageStartDate=2026-03-07T11:00:00Z&UsageEndDate=2026-03-07", 2},
		{"usageStartDate=2026-03-07&UsageEndDate=2026-03-07T10:00:00Z", 1},
		{"usageStartDate=2026-03-07&dimension=gb-stored", 1},
		{"usageStartDate=2026-03-07&planId=metered&offerId=contoso-analytics", 4},
		{"usageStartDate=2026-03-07&offerId=fabrikam-backup", 0},
		{"usageStartDate=2026-03-07&reconStatus=Accepted", 4},
		{"usageStartDate=2026-03-07&reconStatus=Rejected", 0},
		{"usageStartDate=2026-03-07&azureSubscriptionId=11111111-1111-4111-8111-111111111111", 0},
		{"usageStartDate=2026-03-09", 0},
	} {
		m.lenient = strings.HasPrefix(tc.query, "USAGE")
		if got := m.rows(t, tc.query); len(got) != tc.want {
			t.Errorf("%s: %d rows, want %d: %v", tc.query, len(got), tc.want, got)
		}
	}
	// Another publisher sees none of contoso's usage.
	r := m.do(http.MethodGet, "/api/usageEvents"+v+"&usageStartDate=2026-03-01", m.as(1), nil)
	if r.status != 200 || strings.TrimSpace(string(r.raw)) != "[]" {
		t.Fatalf("fabrikam: %d %s", r.status, r.raw)
	}
}

// TestUsageReportRefusals: a missing or unreadable date, an unknown or
// repeated parameter and a bad filter value are 400 BadArgument naming
// the parameter.
func TestUsageReportRefusals(t *testing.T) {
	m := newMeter(t)
	for _, tc := range []struct{ name, query, target, text string }{
		{"no start", "", "usageStartDate", "usageStartDate is required"},
		{"a bad start", "usageStartDate=yesterday", "usageStartDate", `not "yesterday"`},
		{"an impossible date", "usageStartDate=2026-02-30", "usageStartDate", "must be a date"},
		{"a bad end", "usageStartDate=2026-03-07&UsageEndDate=13/03/2026", "UsageEndDate", "must be a date"},
		{"end before start", "usageStartDate=2026-03-07&UsageEndDate=2026-03-06", "UsageEndDate", "before usageStartDate"},
		{"an unknown name", "usageStartDate=2026-03-07&dimensions=x", "dimensions", `Unknown query parameter "dimensions"`},
		{"a name twice", "usageStartDate=2026-03-07&planId=a&planId=b", "planId", "more than once"},
		{"a name twice in two spellings", "usageStartDate=2026-03-07&usagestartdate=2026-03-07", "usageStartDate", "more than once"},
		{"a bad reconStatus", "usageStartDate=2026-03-07&reconStatus=Done", "reconStatus", "Submitted, Accepted, Rejected, Mismatch"},
		{"a bad azureSubscriptionId", "usageStartDate=2026-03-07&azureSubscriptionId=x", "azureSubscriptionId", "must be a GUID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := m.do(http.MethodGet, "/api/usageEvents"+v+"&"+tc.query, m.as(0), nil)
			expectError(t, r, 400, "BadArgument")
			d := r.body["details"].([]any)[0].(map[string]any)
			if d["target"] != tc.target || !strings.Contains(d["message"].(string), tc.text) {
				t.Fatalf("%s", r.raw)
			}
		})
	}
	expectError(t, m.do(http.MethodGet, "/api/usageEvents"+v+"&usageStartDate=2026-03-07", nil, nil), 403, "Forbidden")
}

// TestControlUsage: the control API lists every event received, accepted
// and refused, with its route, answer and time, per subscription, paged;
// the subscription's timeline shows them.
func TestControlUsage(t *testing.T) {
	m := newMeter(t)
	now := m.clock.Now()
	other := m.subscribed("metered", nil)
	m.post(usage(m.id, "api-calls", "metered", 1, now))
	m.post(usage(m.id, "api-calls", "metered", 2, now))
	m.post(usage(m.id, "nope", "metered", 1, now))
	m.batch(usage(m.id, "gb-stored", "metered", 1, now), usage(other, "gb-stored", "metered", -1, now))
	m.post("{")
	list := m.do(http.MethodGet, "/_sandbox/microsoft/usage?subscriptionId="+m.id, nil, nil)
	rows, _ := list.body["usage"].([]any)
	if list.status != 200 || list.body["total"] != 4.0 || len(rows) != 4 {
		t.Fatalf("%d %s", list.status, list.raw)
	}
	want := []struct {
		api, status string
		http        float64
	}{{"usageEvent", "Accepted", 200}, {"usageEvent", "Duplicate", 409}, {"usageEvent", "BadArgument", 400}, {"batchUsageEvent", "Accepted", 200}}
	for i, w := range want {
		row := rows[i].(map[string]any)
		ev := row["event"].(map[string]any)
		if row["api"] != w.api || ev["status"] != w.status || row["httpStatus"] != w.http || row["subscriptionId"] != m.id || row["receivedAt"] != "2026-03-07T10:00:00Z" {
			t.Errorf("row %d: %v", i, row)
		}
		if (w.status == "Accepted") != (ev["error"] == nil) {
			t.Errorf("row %d error: %v", i, ev)
		}
	}
	if msg := rows[2].(map[string]any)["event"].(map[string]any)["error"].(map[string]any)["details"].([]any)[0].(map[string]any)["message"]; !strings.Contains(msg.(string), "dimension nope") {
		t.Errorf("the refusal's reason: %v", msg)
	}
	all := m.do(http.MethodGet, "/_sandbox/microsoft/usage?limit=2", nil, nil)
	if all.body["total"] != 6.0 || len(all.body["usage"].([]any)) != 2 || all.body["next"] != "/_sandbox/microsoft/usage?limit=2&offset=2" {
		t.Fatalf("every subscription, paged: %s", all.raw)
	}
	for _, tc := range []struct {
		query  string
		status int
		text   string
	}{
		{"subscriptionId=nope", 400, "must be a subscription id"},
		{"subscriptionId=00000000-0000-4000-8000-000000000000", 404, "No subscription"},
		{"subscription=" + m.id, 400, `Unknown parameter "subscription"`},
		{"limit=0", 400, "limit must be a whole number"},
	} {
		r := m.do(http.MethodGet, "/_sandbox/microsoft/usage?"+tc.query, nil, nil)
		if r.status != tc.status || !strings.Contains(r.body["error_description"].(string), tc.text) {
			t.Errorf("%s: %d %s", tc.query, r.status, r.raw)
		}
	}
	sub := m.do(http.MethodGet, "/_sandbox/microsoft/subscriptions/"+m.id, nil, nil)
	var usageLines []string
	for _, ev := range sub.body["timeline"].([]any) {
		if ev := ev.(map[string]any); ev["kind"] == "usage" {
			usageLines = append(usageLines, ev["detail"].(string))
		}
	}
	if len(usageLines) != 4 || !strings.Contains(usageLines[0], "usage api-calls 1 at 2026-03-07T10:00:00Z (usageEvent): Accepted") ||
		!strings.Contains(usageLines[1], "Duplicate") || !strings.Contains(usageLines[2], "BadArgument") || !strings.Contains(usageLines[3], "(batchUsageEvent): Accepted") {
		t.Fatalf("timeline: %q", usageLines)
	}
}
