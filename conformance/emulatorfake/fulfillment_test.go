package emulatorfake_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestFulfillmentChecksComeInTheEmulatorsOrder(t *testing.T) {
	srv := start(t)
	jwt := func(claims string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return "Bearer " + enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".sig"
	}
	tests := []struct {
		name, path, auth string
		status           int
		contains         string
	}{
		{"no api-version", "/api/saas/subscriptions", "", 400, `"Code":"ApiVersionUnspecified"`},
		{"another api-version names 2018-08-31.1", "/api/saas/subscriptions?api-version=2022-03-01", "", 400, `'2018-08-31.1'`},
		{"the suffixed version is refused too", "/api/saas/subscriptions?api-version=2018-08-31.1", "", 400, `"Code":"UnsupportedApiVersion"`},
		{"unknown saas path is checked before routing", "/api/saas/nothing", "", 400, "ApiVersionUnspecified"},
		{"a non-JWT bearer is Express's 500 before the version check", "/api/saas/subscriptions", "Bearer opaque", 500, "<pre>TypeError"},
		{"a JWT without appid is 401 text", "/api/saas/subscriptions" + v, jwt(`{"tid":"t"}`), 401, "TenantId & AppId required in token."},
		{"a JWT with both claims passes", "/api/saas/subscriptions" + v, jwt(`{"tid":"t","appid":"a"}`), 200, `{"subscriptions":[]}`},
		{"no token passes without auth", "/api/saas/subscriptions" + v, "", 200, `"subscriptions"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			a := call(t, srv, "GET", tc.path, "", hdr...)
			if a.status != tc.status || !strings.Contains(a.body, tc.contains) {
				t.Errorf("got %d %s, want %d containing %s", a.status, a.body, tc.status, tc.contains)
			}
		})
	}
}

func TestPublisherChoosesThePartition(t *testing.T) {
	srv := start(t)
	enc := base64.RawURLEncoding.EncodeToString
	jwt := "Bearer " + enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"tid":"T1","appid":"A1"}`)) + "."
	tok := token(t, map[string]any{"id": "s1"})
	call(t, srv, "POST", "/api/saas/subscriptions/resolve"+v, "", "x-ms-marketplace-token", tok, "Authorization", jwt)
	call(t, srv, "POST", "/api/saas/subscriptions/resolve"+v+"&publisherId=P2", "", "x-ms-marketplace-token", tok)

	all := call(t, srv, "GET", "/api/util/publishers", "").json(t)
	for _, pid := range []string{"T1A1", "P2"} {
		if _, ok := all[pid].(map[string]any)["s1"]; !ok {
			t.Errorf("publisher %s lacks s1: %v", pid, all)
		}
	}
	if _, ok := all["FourthCoffee"]; ok {
		t.Errorf("default partition used: %v", all)
	}
	if a := call(t, srv, "GET", "/api/saas/subscriptions/s1"+v, ""); a.status != 404 {
		t.Errorf("FourthCoffee sees another partition's subscription: %d", a.status)
	}
}

func TestRequestIDsAreEchoedOrMade(t *testing.T) {
	srv := start(t)
	for _, path := range []string{"/api/saas/subscriptions" + v, "/api/util/config", "/nowhere"} {
		a := call(t, srv, "GET", path, "", "x-ms-requestid", "rid-1")
		if a.header.Get("x-ms-requestid") != "rid-1" || len(a.header.Get("x-ms-correlationid")) != 36 {
			t.Errorf("%s: ids %q %q", path, a.header.Get("x-ms-requestid"), a.header.Get("x-ms-correlationid"))
		}
	}
}

func TestResolve(t *testing.T) {
	srv := start(t)
	raw := `{"id":"r-url","quantity":"7 seats","saasSubscriptionStatus":"Subscribed","extra":1}`
	tests := []struct {
		name, token string
		status      int
		want        map[string]any // fields of the answer's subscription
		body        string         // or a fragment of the body
	}{
		{"no header", "", 400, nil, `"code":"HeaderNotPresent"`},
		{"not JSON", base64.StdEncoding.EncodeToString([]byte("nope")), 400, nil, `"message":"Failed to decode token"`},
		{"no id", token(t, map[string]any{"name": "x"}), 400, nil, `Marketplace token requires an id`},
		{"standard base64 creates it pending", token(t, map[string]any{"id": "r-std", "offerId": "o", "planId": "p"}), 200,
			map[string]any{"saasSubscriptionStatus": "PendingFulfillmentStart", "offerId": "o", "publisherId": "FourthCoffee"}, ""},
		{"URL-safe base64 without padding, token fields win", base64.RawURLEncoding.EncodeToString([]byte(raw)), 200,
			map[string]any{"saasSubscriptionStatus": "Subscribed", "quantity": 7.0, "extra": 1.0}, ""},
		{"flat quantity null becomes NaN, shown as null", token(t, map[string]any{"id": "r-null", "quantity": nil}), 200,
			map[string]any{"quantity": nil}, `"quantity":null`},
		{"a repeat resolve returns the stored subscription", token(t, map[string]any{"id": "r-std", "offerId": "other"}), 200,
			map[string]any{"offerId": "o"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.token != "" {
				hdr = []string{"x-ms-marketplace-token", tc.token}
			}
			a := call(t, srv, "POST", "/api/saas/subscriptions/resolve"+v, "", hdr...)
			if a.status != tc.status || !strings.Contains(a.body, tc.body) {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			if tc.want == nil {
				return
			}
			sub := a.json(t)["subscription"].(map[string]any)
			for k, want := range tc.want {
				if got, ok := sub[k]; !ok || got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
}

func TestActivate(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "pending", false)
	purchase(t, srv, "suspended", true)
	call(t, srv, "POST", "/api/webhook/subscription/suspended/suspend", "")
	eventually(t, "suspended", func() bool { return statusOf(t, srv, "suspended")() == "Suspended" })
	purchase(t, srv, "gone", true)
	call(t, srv, "DELETE", "/api/saas/subscriptions/gone"+v, "")
	eventually(t, "unsubscribed", func() bool { return statusOf(t, srv, "gone")() == "Unsubscribed" })

	tests := []struct {
		name, id, body string
		status         int
		answer, state  string
	}{
		{"no planId", "pending", `{}`, 400, `"details":{"code":"RequiredField"`, "PendingFulfillmentStart"},
		{"unknown is 404 without JSON", "nobody", `{"planId":"seat-basic"}`, 404, "Not Found", ""},
		{"another plan is 400", "pending", `{"planId":"seat-pro"}`, 400, `"message"`, "PendingFulfillmentStart"},
		{"quantity is not checked", "pending", `{"planId":"seat-basic","quantity":999}`, 200, "OK", "Subscribed"},
		{"again on Subscribed", "pending", `{"planId":"seat-basic"}`, 200, "OK", "Subscribed"},
		{"Suspended comes back Subscribed", "suspended", `{"planId":"seat-basic"}`, 200, "OK", "Subscribed"},
		{"Unsubscribed is 404", "gone", `{"planId":"seat-basic"}`, 404, "Not Found", "Unsubscribed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "POST", "/api/saas/subscriptions/"+tc.id+"/activate"+v, tc.body)
			if a.status != tc.status || !strings.Contains(a.body, tc.answer) {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			if tc.state != "" {
				if got := statusOf(t, srv, tc.id)(); got != tc.state {
					t.Errorf("state %s, want %s", got, tc.state)
				}
			}
		})
	}
	term := stored(t, srv, "pending")["term"].(map[string]any)
	if term["startDate"] == nil || term["startDate"] != term["endDate"] || term["termUnit"] != "P1M" {
		t.Errorf("term %v: startDate should equal endDate", term)
	}
}

func TestReads(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "a", true)
	tests := []struct {
		name, path string
		status     int
		body       string
	}{
		{"list has no nextLink", "/api/saas/subscriptions" + v, 200, `{"subscriptions":[{`},
		{"unknown subscription", "/api/saas/subscriptions/zz" + v, 404,
			`{"code":"EntityNotFound","message":"Subscription zz not found","target":"subscriptionId"}`},
		{"plans of an unknown subscription are a bare []", "/api/saas/subscriptions/zz/listAvailablePlans" + v, 200, `^[]`},
		{"plans of a known one", "/api/saas/subscriptions/a/listAvailablePlans" + v, 200, `"planId":"seat-pro"`},
		{"plans filtered by planId", "/api/saas/subscriptions/a/listAvailablePlans" + v + "&planId=seat-pro", 200, `{"plans":[{`},
		{"operations of an unknown subscription", "/api/saas/subscriptions/zz/operations" + v, 404, `"EntityNotFound"`},
		{"operations are a bare array", "/api/saas/subscriptions/a/operations" + v, 200, `^[]`},
		{"unknown operation", "/api/saas/subscriptions/a/operations/op" + v, 404,
			`{"code":"EntityNotFound","message":"Failed to get operation","target":"op"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "GET", tc.path, "")
			// A leading ^ asks for the whole body.
			exact, isExact := strings.CutPrefix(tc.body, "^")
			if a.status != tc.status || isExact && a.body != exact || !isExact && !strings.Contains(a.body, tc.body) {
				t.Errorf("got %d %s, want %d %s", a.status, a.body, tc.status, tc.body)
			}
		})
	}
	if a := call(t, srv, "GET", "/api/saas/subscriptions/a/listAvailablePlans"+v+"&planId=seat-pro", ""); strings.Contains(a.body, "seat-basic") {
		t.Errorf("filter kept another plan: %s", a.body)
	}
}

func TestUnknownPathsAreExpresss404(t *testing.T) {
	srv := start(t)
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/usageEvent", "Cannot POST /api/usageEvent"},
		{"POST", "/api/batchUsageEvent", "Cannot POST /api/batchUsageEvent"},
		{"PUT", "/api/util/config", "Cannot PUT /api/util/config"},
	} {
		a := call(t, srv, tc.method, tc.path, "")
		if a.status != 404 || !strings.Contains(a.body, tc.want) || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, a.status, a.body)
		}
	}
}
