package microsoft_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// statusEnum is every status a batch item may have (docs/microsoft.md §7).
var statusEnum = []string{"Accepted", "Expired", "Duplicate", "Error", "ResourceNotFound", "ResourceNotAuthorized",
	"ResourceNotActive", "InvalidDimension", "InvalidQuantity", "BadArgument"}

// FuzzMetering throws hostile bodies and content types at both metering
// routes. Whatever comes in, the answer is one the docs give (200, 400
// BadArgument, 403, 409 Conflict), never a 5xx or a hang, in JSON; a
// batch's every item has a status of the StatusEnum, and an error unless
// Accepted. The seeds run as a table test in every go test.
func FuzzMetering(f *testing.F) {
	m := meter{env: newEnv(f)}
	m.id = m.subscribed("metered", nil)
	event := `{"resourceId":"{id}","quantity":1,"dimension":"api-calls","effectiveStartTime":"2026-03-07T10:00:00Z","planId":"metered"}`
	many := func(n int) string {
		return `{"request":[` + strings.TrimSuffix(strings.Repeat(event+",", n), ",") + `]}`
	}
	for _, seed := range []struct{ route, contentType, body string }{
		{"usageEvent", "application/json", event},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":1e999999`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":123456789012345678901234567890`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":"NaN"`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":"Infinity"`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":-0`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"quantity":1`, `"quantity":4.9e-324`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"2026-03-07T10:00:00Z"`, `"9999-12-31T23:59:59Z"`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"2026-03-07T10:00:00Z"`, `"0000-01-01T00:00:00+23:59"`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"api-calls"`, `{"a":[[[[{"b":null}]]]]}`, 1)},
		{"usageEvent", "application/json", strings.Replace(event, `"{id}"`, `"{id}","resourceId":"{id}"`, 1)},
		{"usageEvent", "application/json", strings.Repeat("[", 10000)},
		{"usageEvent", "application/json", `"\ud800"`},
		{"usageEvent", "application/json", "\xff\xfe"},
		{"usageEvent", "text/plain", event},
		{"usageEvent", "application/x-www-form-urlencoded", "resourceId=x"},
		{"usageEvent", "", event},
		{"usageEvent", "application/json; charset=latin1", event},
		{"usageEvent", "application/json", ""},
		{"usageEvent", "application/json", "null"},
		{"batchUsageEvent", "application/json", many(25)},
		{"batchUsageEvent", "application/json", many(26)},
		{"batchUsageEvent", "application/json", many(1000)},
		{"batchUsageEvent", "application/json", `{"request":[]}`},
		{"batchUsageEvent", "application/json", `{"request":[null,1,"x",[],{},true]}`},
		{"batchUsageEvent", "application/json", `{"request":"` + strings.Repeat("x", 100) + `"}`},
		{"batchUsageEvent", "application/json", `{"request":[` + event + `],"request":[]}`},
		{"batchUsageEvent", "application/json", `{"request":[{"quantity":"1e400","resourceUri":"/` + strings.Repeat("/", 50) + `"}]}`},
		{"batchUsageEvent", "application/json", `{"request":[` + event + `]} trailing`},
	} {
		f.Add(seed.route, seed.contentType, seed.body)
	}
	f.Fuzz(func(t *testing.T, route, contentType, body string) {
		if route != "usageEvent" && route != "batchUsageEvent" || strings.ContainsAny(contentType, "\r\n\x00") {
			return
		}
		m.t = t
		h := m.as(0)
		h["Content-Type"] = contentType
		r, sent := m.send("POST", "/api/"+route+v, h, strings.ReplaceAll(body, "{id}", m.id))
		if !sent {
			return
		}
		call := route + " " + strconv.Quote(body)
		if !json.Valid(r.raw) {
			t.Fatalf("%s: %d, not JSON: %s", call, r.status, r.raw)
		}
		switch {
		case r.status == 400 && r.body["code"] == "BadArgument", r.status == 403 && r.body["code"] == "Forbidden":
		case r.status == 409 && route == "usageEvent" && r.body["code"] == "Conflict":
		case r.status == 200 && route == "usageEvent" && r.body["status"] == "Accepted":
		case r.status == 200 && route == "batchUsageEvent":
			items, _ := r.body["result"].([]any)
			if len(items) == 0 || len(items) > 25 || r.body["count"] != float64(len(items)) {
				t.Fatalf("%s: %s", call, r.raw)
			}
			for _, it := range items {
				it := it.(map[string]any)
				if !slices.Contains(statusEnum, it["status"].(string)) || (it["status"] == "Accepted") != (it["error"] == nil) {
					t.Fatalf("%s: item %v", call, it)
				}
			}
		default:
			t.Fatalf("%s: %d %s", call, r.status, r.raw)
		}
	})
}
