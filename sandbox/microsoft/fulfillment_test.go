package microsoft_test

import (
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestResolveTheLandingPageToken: the token of the landing page resolves,
// URL-decoded, in any state; forgetting to decode it is a 400 that says so.
func TestResolveTheLandingPageToken(t *testing.T) {
	e := newEnv(t)
	p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5})
	landing, _ := url.Parse(p.body["landingPageUrl"].(string))
	raw := landing.Query().Get("token")
	if !strings.ContainsAny(raw, "+/") || p.body["token"] != url.QueryEscape(raw) {
		t.Fatalf("token %q, answer %s", raw, p.raw)
	}
	resolve := func(tok string, who map[string]string) reply {
		h := map[string]string{"x-ms-marketplace-token": tok}
		for k, v := range who {
			h[k] = v
		}
		return e.do(http.MethodPost, "/api/saas/subscriptions/resolve"+v, h, nil)
	}
	r := resolve(raw, e.as(0))
	if r.status != http.StatusOK || r.body["id"] != p.body["subscriptionId"] || r.body["planId"] != "team-seats" || r.body["quantity"] != 5.0 {
		t.Fatalf("resolve: %d %s", r.status, r.raw)
	}
	if r.body["subscription"].(map[string]any)["saasSubscriptionStatus"] != "PendingFulfillmentStart" {
		t.Fatalf("status: %s", r.raw)
	}
	t.Run("still encoded", func(t *testing.T) {
		r := resolve(p.body["token"].(string), e.as(0))
		expectError(t, r, http.StatusBadRequest, "BadRequest")
		if !strings.Contains(r.body["message"].(string), "URL-decode") {
			t.Fatalf("no hint: %s", r.raw)
		}
	})
	t.Run("plus decoded as space", func(t *testing.T) {
		expectError(t, resolve(strings.ReplaceAll(raw, "+", " "), e.as(0)), http.StatusBadRequest, "BadRequest")
	})
	t.Run("missing header", func(t *testing.T) {
		r := e.do(http.MethodPost, "/api/saas/subscriptions/resolve"+v, e.as(0), nil)
		expectError(t, r, http.StatusBadRequest, "HeaderNotPresent")
		if r.body["message"] != "Mandatory header missing" || r.body["target"] != "x-ms-marketplace-token" {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("another publisher", func(t *testing.T) {
		expectError(t, resolve(raw, e.as(1)), http.StatusForbidden, "Forbidden")
	})
	t.Run("after unsubscribe", func(t *testing.T) {
		if r := e.event(p.body["subscriptionId"].(string), map[string]any{"action": "Unsubscribe"}); r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := resolve(raw, e.as(0)); r.status != http.StatusOK {
			t.Fatalf("resolve after unsubscribe: %d", r.status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e.advance(24 * 3600e9)
		r := resolve(raw, e.as(0))
		expectError(t, r, http.StatusBadRequest, "BadRequest")
		if !strings.Contains(r.body["message"].(string), "expired") {
			t.Fatalf("%s", r.raw)
		}
	})
}

// TestCommonRules: api-version, authentication and the request ids of
// every call (docs/microsoft.md §1).
func TestCommonRules(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	cases := []struct {
		name, query string
		header      map[string]string
		status      int
		code        string
	}{
		{"no api-version", "", e.as(0), 400, "ApiVersionUnspecified"},
		{"empty api-version", "?api-version=", e.as(0), 400, "ApiVersionUnspecified"},
		{"other api-version", "?api-version=2022-01-01", e.as(0), 400, "UnsupportedApiVersion"},
		{"api-version twice", "?api-version=2018-08-31&api-version=2018-08-31", e.as(0), 400, "UnsupportedApiVersion"},
		{"bad query", "?api-version=2018-08-31&x=%zz", e.as(0), 400, "BadRequest"},
		{"no token", v, nil, 403, "Forbidden"},
		{"unknown app", v, map[string]string{"Authorization": "Bearer " + e.fx.Publishers[0].TenantID + ":00000000-0000-4000-8000-000000000000"}, 403, "Forbidden"},
		{"another publisher's subscription", v, e.as(1), 403, "Forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do(http.MethodGet, "/api/saas/subscriptions/"+id+tc.query, tc.header, nil), tc.status, tc.code)
		})
	}
	t.Run("request ids echoed", func(t *testing.T) {
		h := e.as(0)
		h["x-ms-requestid"], h["x-ms-correlationid"] = "11111111-2222-4333-8444-555555555555", "66666666-2222-4333-8444-555555555555"
		r := e.do(http.MethodGet, "/api/saas/subscriptions/"+id+v, h, nil)
		if r.header.Get("x-ms-requestid") != h["x-ms-requestid"] || r.header.Get("x-ms-correlationid") != h["x-ms-correlationid"] {
			t.Fatalf("%v", r.header)
		}
	})
	t.Run("request ids generated", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/saas/subscriptions/"+id, nil, nil)
		if len(r.header.Get("x-ms-requestid")) != 36 || len(r.header.Get("x-ms-correlationid")) != 36 {
			t.Fatalf("%v", r.header)
		}
	})
	t.Run("unknown subscription", func(t *testing.T) {
		r := e.api(http.MethodGet, "/00000000-0000-4000-8000-000000000000", nil)
		expectError(t, r, http.StatusNotFound, "EntityNotFound")
		if r.body["message"] != "Subscription 00000000-0000-4000-8000-000000000000 not found" || r.body["target"] != "subscriptionId" {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		expectError(t, e.do(http.MethodGet, "/api/saas/nothing", nil, nil), http.StatusNotFound, "NotFound")
	})
}

// TestActivate: PendingFulfillmentStart → Subscribed with its term; what
// the docs refuse is 400, each with its reason. A per-seat plan activated
// without a quantity said "Quantity 0 does not match": no source says the
// quantity defaults to the purchase's, so it is required, and the answer
// says so (docs/microsoft.md §4).
func TestActivate(t *testing.T) {
	e := newEnv(t)
	p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5})
	id := p.body["subscriptionId"].(string)
	flat := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"}).body["subscriptionId"].(string)
	for _, tc := range []struct {
		name, id string
		body     any
		message  string
	}{
		{"other plan", id, map[string]any{"planId": "basic"}, "Plan basic does not match the purchased plan team-seats"},
		{"other quantity", id, map[string]any{"planId": "team-seats", "quantity": 6}, "Quantity 6 does not match the purchased quantity 5"},
		{"no quantity on a per-seat plan", id, map[string]any{"planId": "team-seats"}, "quantity is required to activate a subscription to per-seat plan team-seats: send the purchased quantity, 5."},
		{"null quantity on a per-seat plan", id, `{"planId":"team-seats","quantity":null}`, "quantity is required"},
		{"quantity above the plan's", id, map[string]any{"planId": "team-seats", "quantity": 101}, "Quantity 101 is above the maximum of plan team-seats"},
		{"quantity on a flat-rate plan", flat, map[string]any{"planId": "basic", "quantity": 3}, "Plan basic is flat-rate and has no quantity; activate with planId only."},
		{"no plan", id, map[string]any{"quantity": 5}, "planId is required."},
		{"not JSON", id, "{", "The request body cannot be read as JSON: the body ends before its JSON value does."},
		{"quantity text", id, map[string]any{"planId": "team-seats", "quantity": "5"}, "quantity must be a whole number."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/"+tc.id+"/activate", tc.body)
			expectError(t, r, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(r.body["message"].(string), tc.message) {
				t.Fatalf("message %q lacks %q", r.body["message"], tc.message)
			}
		})
	}
	t.Run("a flat-rate plan takes quantity 0 as none", func(t *testing.T) {
		if r := e.api(http.MethodPost, "/"+flat+"/activate", map[string]any{"planId": "basic", "quantity": 0}); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	if r := e.api(http.MethodPost, "/"+id+"/activate", map[string]any{"planId": "team-seats", "quantity": 5, "extra": true}); r.status != http.StatusOK {
		t.Fatalf("activate: %d %s", r.status, r.raw)
	}
	s := e.sub(id)
	term := s["term"].(map[string]any)
	if s["saasSubscriptionStatus"] != "Subscribed" || term["startDate"] != "2026-03-07T00:00:00Z" || term["endDate"] != "2026-04-06T00:00:00Z" {
		t.Fatalf("%v", s)
	}
	expectError(t, e.api(http.MethodPost, "/"+id+"/activate", map[string]any{"planId": "team-seats", "quantity": 5}), http.StatusBadRequest, "BadRequest")
	expectError(t, e.api(http.MethodPost, "/00000000-0000-4000-8000-000000000000/activate", map[string]any{"planId": "x"}), http.StatusNotFound, "EntityNotFound")
}

// TestListPages: 100 a page (here 2), @nextLink with an opaque
// continuationToken that a changed copy or another publisher cannot use.
func TestListPages(t *testing.T) {
	e := newEnv(t, func(su *setup) { su.settings = func(s *microsoft.Settings) { s.PageSize = 2 } })
	var ids []string
	for range 5 {
		ids = append(ids, e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"}).body["subscriptionId"].(string))
	}
	e.purchase(map[string]any{"offerId": "fabrikam-backup", "planId": "standard"})
	var seen []string
	path := "/api/saas/subscriptions" + v
	var token string
	for pages := 0; path != ""; pages++ {
		r := e.do(http.MethodGet, path, e.as(0), nil)
		if r.status != 200 || pages > 3 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, s := range r.body["subscriptions"].([]any) {
			seen = append(seen, s.(map[string]any)["id"].(string))
		}
		path = ""
		if next, ok := r.body["@nextLink"].(string); ok {
			u, _ := url.Parse(next)
			path, token = u.RequestURI(), u.Query().Get("continuationToken")
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("pages %v, want %v", seen, ids)
	}
	expectError(t, e.do(http.MethodGet, "/api/saas/subscriptions"+v+"&continuationToken="+url.QueryEscape(token+"x"), e.as(0), nil), 400, "BadRequest")
	expectError(t, e.do(http.MethodGet, "/api/saas/subscriptions"+v+"&continuationToken="+url.QueryEscape(token), e.as(1), nil), 400, "BadRequest")
	if r := e.do(http.MethodGet, "/api/saas/subscriptions"+v, e.as(1), nil); r.status != 200 || len(r.body["subscriptions"].([]any)) != 1 {
		t.Fatalf("fabrikam sees %s", r.raw)
	}
}

// TestListAvailablePlans: the offer's plans, private ones included, with
// the planId filter.
func TestListAvailablePlans(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	r := e.api(http.MethodGet, "/"+id+"/listAvailablePlans", nil)
	if r.status != 200 || len(r.body["plans"].([]any)) != 6 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	r = e.do(http.MethodGet, "/api/saas/subscriptions/"+id+"/listAvailablePlans"+v+"&planId=enterprise-private", e.as(0), nil)
	plans := r.body["plans"].([]any)
	if len(plans) != 1 || plans[0].(map[string]any)["isPrivate"] != true {
		t.Fatalf("%s", r.raw)
	}
	expectError(t, e.api(http.MethodGet, "/00000000-0000-4000-8000-000000000000/listAvailablePlans", nil), 404, "EntityNotFound")
}

// TestIDsAreGUIDsInAnyCase: a subscription or operation id written in upper
// case names the same subscription, as GUIDs compare without case.
func TestIDsAreGUIDsInAnyCase(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	if r := e.api(http.MethodGet, "/"+strings.ToUpper(id), nil); r.status != 200 {
		t.Errorf("upper-case id: %d %s", r.status, r.raw)
	}
}

// TestOnlyResolveItselfIsNotASubscriptionID: the subscription routes
// leave "resolve" to its own route (a wrong method on it is 405, tested
// at the sandbox's level), and every other segment, however close, is
// still looked up as an id.
func TestOnlyResolveItselfIsNotASubscriptionID(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"r", "res", "resolv", "resolvE", "Resolve", "resolved", "xresolve", "resolve-1"} {
		t.Run(id, func(t *testing.T) {
			r := e.api(http.MethodGet, "/"+id, nil)
			expectError(t, r, http.StatusNotFound, "EntityNotFound")
		})
	}
}
