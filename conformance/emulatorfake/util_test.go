package emulatorfake_test

import (
	"strings"
	"testing"
)

func TestControlRoutes(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "s", true)
	offer := `{"offerId":"mine","displayName":"Mine","publisher":"Us","plans":{"p1":{"planId":"p1","isPricePerSeat":false}}}`
	steps := []struct {
		name, method, path, body string
		status                   int
		answer                   string // fragment, or ^whole body
	}{
		{"offers are a map", "GET", "/api/util/offers", "", 200, `"sample-seats":{`},
		{"an unknown offer is an empty 200", "GET", "/api/util/offers/none", "", 200, "^"},
		{"upsert fills persist", "POST", "/api/util/offers", offer, 200, `"persist":true`},
		{"the offer is stored", "GET", "/api/util/offers/mine", "", 200, `"displayName":"Mine"`},
		{"dropping a plan in use is 404", "POST", "/api/util/offers",
			`{"offerId":"sample-seats","plans":{"seat-pro":{"planId":"seat-pro"}}}`, 404, "Not Found"},
		{"an offer in use cannot be deleted", "DELETE", "/api/util/offers/sample-seats", "", 400, "Bad Request"},
		{"an unknown offer cannot be deleted", "DELETE", "/api/util/offers/none", "", 400, "Bad Request"},
		{"an unused offer is deleted", "DELETE", "/api/util/offers/mine", "", 204, "^"},
		{"a missing stored subscription is an empty 200", "GET", "/api/util/publishers/FourthCoffee/subscriptions/zz", "", 200, "^"},
		{"deleting from an unknown publisher is 404", "DELETE", "/api/util/publishers/Nobody/subscriptions/s", "", 404, "Not Found"},
		{"deleting a subscription makes no operation", "DELETE", "/api/util/publishers/FourthCoffee/subscriptions/s", "", 204, "^"},
		{"it is gone", "GET", "/api/saas/subscriptions/s" + v, "", 404, "EntityNotFound"},
		{"the skeletons", "GET", "/api/util/subscription", "", 200, `"saasSubscriptionStatus":"PendingFulfillmentStart"`},
		{"the offer skeleton", "GET", "/api/util/offer", "", 200, `"plans":{}`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a := call(t, srv, st.method, st.path, st.body)
			whole, isWhole := strings.CutPrefix(st.answer, "^")
			if a.status != st.status || isWhole && a.body != whole || !isWhole && !strings.Contains(a.body, st.answer) {
				t.Errorf("got %d %q", a.status, a.body)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	srv := start(t)
	tests := []struct {
		name, body string
		status     int
		answer     string
		want       map[string]any
	}{
		{"keys before a bad URL stay applied", `{"operationTimeoutMS":7,"webhookUrl":"ftp://x","landingPageUrl":"http://l"}`,
			400, "URLs must be a fully qualified.", map[string]any{"operationTimeoutMS": 7.0, "webhookUrl": "", "landingPageUrl": ""}},
		{"unknown keys are ignored, requireAuth only for true", `{"nope":1,"requireAuth":"true","webhookUrl":"http://h/"}`,
			200, "OK", map[string]any{"nope": nil, "requireAuth": false, "webhookUrl": "http://h/"}},
		{"requireAuth true", `{"requireAuth":true,"publisherId":"Other"}`, 200, "OK",
			map[string]any{"requireAuth": true, "publisherId": "Other"}},
		{"the client secret is never shown", `{"webhook":{"clientId":"c","clientSecret":"s"}}`, 200, "OK",
			map[string]any{"webhook": map[string]any{"clientId": "c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "PATCH", "/api/util/config", tc.body)
			if a.status != tc.status || a.body != tc.answer {
				t.Fatalf("got %d %q", a.status, a.body)
			}
			config := call(t, srv, "GET", "/api/util/config", "").json(t)
			for k, want := range tc.want {
				got := config[k]
				if m, ok := want.(map[string]any); ok {
					gm, _ := got.(map[string]any)
					if len(gm) != len(m) || gm["clientId"] != m["clientId"] {
						t.Errorf("%s = %v, want %v", k, got, want)
					}
					continue
				}
				if got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
	// The default publisher moved: a call without a token lands there.
	call(t, srv, "POST", "/api/saas/subscriptions/resolve"+v, "", "x-ms-marketplace-token", token(t, map[string]any{"id": "o1"}))
	if a := call(t, srv, "GET", "/api/util/publishers/Other/subscriptions/o1", ""); a.status != 200 || a.body == "" {
		t.Errorf("publisherId from config not used: %d %q", a.status, a.body)
	}
}

func TestResetKeepsSamplesAndConfigOnly(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "s", true)
	call(t, srv, "POST", "/api/util/offers", `{"offerId":"mine","plans":{}}`)
	call(t, srv, "PATCH", "/api/util/config", `{"operationTimeoutMS":3}`)
	if a := call(t, srv, "DELETE", "/api/util/data-file", ""); a.status != 204 {
		t.Fatalf("reset: %d", a.status)
	}
	if a := call(t, srv, "GET", "/api/util/publishers", ""); a.body != "{}" {
		t.Errorf("state after reset: %s", a.body)
	}
	offers := call(t, srv, "GET", "/api/util/offers", "").json(t)
	if _, ok := offers["mine"]; ok || offers["sample-flat"] == nil || offers["sample-seats"] == nil {
		t.Errorf("offers after reset: %v", offers)
	}
	if c := call(t, srv, "GET", "/api/util/config", "").json(t); c["operationTimeoutMS"] != 3.0 {
		t.Errorf("config lost: %v", c)
	}
}
