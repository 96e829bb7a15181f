package emulatorfake_test

import (
	"strings"
	"testing"
)

func TestPublisherPatch(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "pend", false)
	purchase(t, srv, "s", true)
	tests := []struct {
		name, id, body string
		status         int
		answer         string
	}{
		{"unknown", "zz", `{"planId":"seat-pro"}`, 404, `"EntityNotFound"`},
		{"not Subscribed", "pend", `{"planId":"seat-pro"}`, 400, `{"code":"BadRequest","message":"Subscription is not active","target":"update"}`},
		{"no field", "s", `{}`, 400, "The request content is null"},
		{"both fields", "s", `{"planId":"seat-pro","quantity":3}`, 400, `"message"`},
		{"ten million seats", "s", `{"quantity":10000000}`, 400, `"message"`},
		{"same plan", "s", `{"planId":"seat-basic"}`, 400, `"message"`},
		{"same quantity", "s", `{"quantity":5}`, 400, `"message"`},
		{"plan not in the catalogue", "s", `{"planId":"flat-gold"}`, 400, "Request Plan is NOT in Catalog."},
		{"a plan change is accepted", "s", `{"planId":"seat-pro"}`, 202, "Accepted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "PATCH", "/api/saas/subscriptions/"+tc.id+v, tc.body)
			if a.status != tc.status || !strings.Contains(a.body, tc.answer) {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			if a.status != 202 {
				return
			}
			loc, opID := a.header.Get("Operation-Location"), a.header.Get("Operation-Id")
			if want := srv.URL + "/api/saas/subscriptions/s/operations/" + opID + v; opID == "" || loc != want {
				t.Errorf("Operation-Location %q, Operation-Id %q", loc, opID)
			}
		})
	}
	eventually(t, "plan changed without a webhook", func() bool { return stored(t, srv, "s")["planId"] == "seat-pro" })
	ops := operations(t, srv, "s")
	if len(ops) != 1 || ops[0]["status"] != "Succeeded" || ops[0]["operationRequestedSource"] != "Partner" || ops[0]["planId"] != "seat-pro" {
		t.Errorf("operations %v", ops)
	}
}

func TestPublisherPatchWhileLocked(t *testing.T) {
	srv := start(t, emulatorfakeOperationTimeout())
	purchase(t, srv, "s", true)
	if a := call(t, srv, "PATCH", "/api/saas/subscriptions/s"+v, `{"quantity":8}`); a.status != 202 {
		t.Fatalf("first patch: %d %s", a.status, a.body)
	}
	a := call(t, srv, "PATCH", "/api/saas/subscriptions/s"+v, `{"planId":"seat-pro"}`)
	if a.status != 400 || !strings.Contains(a.body, `"code":"Failed"`) || !strings.Contains(a.body, "locked due to pending operations") {
		t.Errorf("second patch: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "GET", "/api/saas/subscriptions/s/operations"+v, ""); !strings.HasPrefix(a.body, `[{"id"`) {
		t.Errorf("pending operation not listed: %s", a.body)
	}
	eventually(t, "quantity changed", func() bool { return stored(t, srv, "s")["quantity"] == 8.0 })
}

func TestDelete(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "pend", false)
	purchase(t, srv, "seats", true)
	purchase(t, srv, "susp", true)
	call(t, srv, "POST", "/api/webhook/subscription/susp/suspend", "")
	eventually(t, "suspended", func() bool { return statusOf(t, srv, "susp")() == "Suspended" })
	tests := []struct {
		name, id, state string
		quantity        bool
	}{
		{"Pending stays Pending", "pend", "PendingFulfillmentStart", true},
		{"Subscribed per-seat loses its quantity", "seats", "Unsubscribed", false},
		{"Suspended keeps its quantity", "susp", "Unsubscribed", true},
		{"Unsubscribed is 202 again, never 409", "seats", "Unsubscribed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "DELETE", "/api/saas/subscriptions/"+tc.id+v, "")
			if a.status != 202 || a.header.Get("Operation-Id") == "" {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			eventually(t, tc.state, func() bool {
				sub := stored(t, srv, tc.id)
				_, has := sub["quantity"]
				return sub["saasSubscriptionStatus"] == tc.state && has == tc.quantity
			})
			if a := call(t, srv, "GET", "/api/saas/subscriptions/"+tc.id+"/operations"+v, ""); a.body != "[]" {
				t.Errorf("the Succeeded Unsubscribe is listed: %s", a.body)
			}
		})
	}
	if a := call(t, srv, "DELETE", "/api/saas/subscriptions/zz"+v, ""); a.status != 404 {
		t.Errorf("unknown: %d", a.status)
	}
}

func TestPatchOperationChecksInOrder(t *testing.T) {
	srv := start(t, emulatorfakeOperationTimeout())
	purchase(t, srv, "s", true)
	partner := call(t, srv, "PATCH", "/api/saas/subscriptions/s"+v, `{"quantity":9}`).header.Get("Operation-Id")
	suspend := call(t, srv, "POST", "/api/webhook/subscription/s/suspend", "").header.Get("Operation-Location")
	suspend = suspend[strings.LastIndex(suspend, "/")+1 : strings.Index(suspend, "?")]
	purchase(t, srv, "r", true)
	call(t, srv, "POST", "/api/webhook/subscription/r/suspend", "")
	eventually(t, "r suspended", func() bool { return statusOf(t, srv, "r")() == "Suspended" })
	reinstate := call(t, srv, "POST", "/api/webhook/subscription/r/reinstate", "").header.Get("Operation-Location")
	reinstate = reinstate[strings.LastIndex(reinstate, "/")+1 : strings.Index(reinstate, "?")]

	tests := []struct {
		name, sub, op, body, requestID string
		status                         int
		answer                         string
	}{
		{"status other than Success/Failure first", "zz", "zz", `{"status":"blah"}`, "", 400, `"code":"InvalidValue"`},
		{"unknown subscription", "zz", partner, `{"status":"Success"}`, "", 404,
			`{"code":"NotFound","message":"Failed to find operation","target":"operation"}`},
		{"unknown operation", "s", "zz", `{"status":"Success"}`, "", 404, `"NotFound"`},
		{"Partner operation is a 500", "s", partner, `{"status":"Success"}`, "", 500, "Internal Server Error"},
		{"Suspend is 400 Error", "s", suspend, `{"status":"Success"}`, "", 400, `"code":"Error"`},
		{"settled Reinstate is 409 with the request id", "r", reinstate, `{"status":"Success"}`, "rid-9", 409, `{"message":"rid-9"}`},
		{"settled without a request id is {}", "r", reinstate, `{"status":"Failure"}`, "", 409, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.requestID != "" {
				hdr = []string{"x-ms-requestid", tc.requestID}
			}
			a := call(t, srv, "PATCH", "/api/saas/subscriptions/"+tc.sub+"/operations/"+tc.op+v, tc.body, hdr...)
			if a.status != tc.status || !strings.Contains(a.body, tc.answer) {
				t.Errorf("got %d %s, want %d %s", a.status, a.body, tc.status, tc.answer)
			}
		})
	}
}
