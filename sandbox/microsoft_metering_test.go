package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// meteredSubscription buys contoso's metered plan and activates it; it
// returns the subscription id.
func meteredSubscription(t *testing.T, srv *sandboxtest.Server) string {
	t.Helper()
	sub := control(t, srv, http.MethodPost, "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"metered"}`, http.StatusCreated).body["subscriptionId"].(string)
	if a := postUsage(t, srv, "/api/saas/subscriptions/"+sub+"/activate", `{"planId":"metered"}`); a.status != http.StatusOK {
		t.Fatalf("activate: %d %s", a.status, a.raw)
	}
	return sub
}

// postUsage posts body to a Microsoft path as contoso, with a fresh token
// (tokens live an hour on the sandbox clock, which these tests move).
func postUsage(t *testing.T, srv *sandboxtest.Server, path, body string) answer {
	t.Helper()
	tok, err := srv.MicrosoftToken("contoso")
	if err != nil {
		t.Fatal(err)
	}
	return mustSend(t, http.MethodPost, srv.URL+path+"?api-version=2018-08-31", body, "Authorization", "Bearer "+tok, "Content-Type", jsonType)
}

func usageJSON(sub, dimension, at string) string {
	return `{"resourceId":"` + sub + `","quantity":1,"dimension":"` + dimension + `","effectiveStartTime":"` + at + `","planId":"metered"}`
}

// TestMeteringDayFollowsTheClock: an event may be 24 hours old and no
// older, measured on the sandbox clock: after clock/advance the edge is
// accepted to the nanosecond, a nanosecond before it is refused, and
// advancing a second more moves the edge past the same event.
func TestMeteringDayFollowsTheClock(t *testing.T) {
	srv := frozen(t) // 2030-01-01T00:00:00Z
	sub := meteredSubscription(t, srv)
	advance(t, srv, "24h")
	for _, tc := range []struct {
		name, dimension, at string
		want                int
	}{
		{"just outside", "api-calls", "2029-12-31T23:59:59.999999999Z", 400},
		{"exactly 24 hours", "api-calls", "2030-01-01T00:00:00Z", 200},
		{"just inside", "gb-stored", "2030-01-01T00:00:00.000000001Z", 200},
		{"now", "gb-stored", "2030-01-02T00:00:00Z", 200},
		{"a nanosecond ahead", "api-calls", "2030-01-02T00:00:00.000000001Z", 400},
	} {
		a := postUsage(t, srv, "/api/usageEvent", usageJSON(sub, tc.dimension, tc.at))
		if a.status != tc.want {
			t.Fatalf("%s: %d %s", tc.name, a.status, a.raw)
		}
		if tc.want == 400 && !strings.Contains(a.raw, "effectiveStartTime") {
			t.Fatalf("%s: %s", tc.name, a.raw)
		}
	}
	advance(t, srv, "1s")
	a := postUsage(t, srv, "/api/batchUsageEvent", `{"request":[`+usageJSON(sub, "gb-stored", "2030-01-01T00:00:00Z")+`,`+
		usageJSON(sub, "gb-stored", "2030-01-01T00:00:01Z")+`]}`)
	res := a.body["result"].([]any)
	if got := res[0].(map[string]any)["status"]; got != "Expired" {
		t.Fatalf("the old edge, a second later: %v", got)
	}
	if got := res[1].(map[string]any)["status"]; got != "Duplicate" {
		t.Fatalf("the new edge, in the hour already metered: %v %s", got, a.raw)
	}
}

// TestMeteringFaults: a fault rule on the metering API answers in
// Microsoft's envelope with its Retry-After, the fault publishers most
// need to rehearse; nothing is metered meanwhile.
func TestMeteringFaults(t *testing.T) {
	srv := frozen(t)
	sub := meteredSubscription(t, srv)
	event := usageJSON(sub, "api-calls", "2030-01-01T00:00:00Z")
	for _, tc := range []struct {
		effect, code, retryAfter string
		status                   int
	}{
		{`{"status":429,"retryAfter":"30s"}`, "TooManyRequests", "30", 429},
		{`{"status":503}`, "ServiceUnavailable", "1", 503},
	} {
		send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
		addRule(t, srv, `{"api":"microsoft","match":{"method":"POST","path":"/api/usageEvent"},"effect":`+tc.effect+`}`)
		a := postUsage(t, srv, "/api/usageEvent", event)
		if a.status != tc.status || a.body["code"] != tc.code || a.header.Get("Retry-After") != tc.retryAfter || a.header.Get("x-ms-requestid") == "" {
			t.Fatalf("%s: %d %v %s", tc.effect, a.status, a.header, a.raw)
		}
		// The batch route is not matched by the rule.
		if b := postUsage(t, srv, "/api/batchUsageEvent", `{"request":[`+usageJSON(sub, "gb-stored", "2029-12-31T12:00:00Z")+`]}`); b.status != 200 {
			t.Fatalf("batch: %d %s", b.status, b.raw)
		}
	}
	send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
	if a := postUsage(t, srv, "/api/usageEvent", event); a.status != 200 {
		t.Fatalf("after the faults, the event was never metered: %d %s", a.status, a.raw)
	}
}

// TestMeteringIsJournaled: every metering call is an entry of the
// journal, with its publisher and answer.
func TestMeteringIsJournaled(t *testing.T) {
	srv := frozen(t)
	sub := meteredSubscription(t, srv)
	postUsage(t, srv, "/api/usageEvent", usageJSON(sub, "api-calls", "2030-01-01T00:00:00Z"))
	postUsage(t, srv, "/api/usageEvent", usageJSON(sub, "api-calls", "2030-01-01T00:00:00Z"))
	postUsage(t, srv, "/api/batchUsageEvent", `{"request":[]}`)
	tok, _ := srv.MicrosoftToken("contoso")
	mustSend(t, http.MethodGet, srv.URL+"/api/usageEvents?api-version=2018-08-31&usageStartDate=2030-01-01", "", "Authorization", "Bearer "+tok)
	got := map[string]int{}
	for _, e := range journalEntries(t, srv.URL, "api=microsoft&limit=100") {
		if strings.Contains(e.Path, "sage") {
			if e.Partner != "contoso" || e.RequestID == "" {
				t.Errorf("%+v", e)
			}
			got[e.Method+" "+e.Path+" "+http.StatusText(e.Status)]++
		}
	}
	want := map[string]int{"POST /api/usageEvent OK": 1, "POST /api/usageEvent Conflict": 1, "POST /api/batchUsageEvent Bad Request": 1, "GET /api/usageEvents OK": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d entries, want %d (all: %v)", k, got[k], n, got)
		}
	}
}
