package microsoft_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPatchSubscription: plan or quantity, never both; every refusal of
// docs/microsoft.md §4 with its text; 202 + Operation-Location; the change
// applies after operation_delay and the webhook says Partner.
func TestPatchSubscription(t *testing.T) {
	e := newEnv(t)
	seats := e.subscribed("team-seats", map[string]any{"quantity": 5})
	flat := e.subscribed("basic", nil)
	cases := []struct {
		name, id string
		body     any
		code     string
		message  string
	}{
		{"both fields", seats, map[string]any{"planId": "basic", "quantity": 3}, "BadRequest", "Cannot patch more than one field in the same request"},
		{"neither", seats, map[string]any{}, "BadRequest", "planId or quantity"},
		{"not an object", seats, "[1]", "BadRequest", "JSON object"},
		{"malformed", seats, "{", "BadRequest", "cannot be read as JSON"},
		{"plan a number", seats, map[string]any{"planId": 5}, "BadRequest", "planId must be a string"},
		{"quantity text", seats, map[string]any{"quantity": "5"}, "BadRequest", "whole number"},
		{"quantity fraction", seats, map[string]any{"quantity": 1.5}, "BadRequest", "whole number"},
		{"same plan", flat, map[string]any{"planId": "basic"}, "BadRequest", "is already subscribed to plan basic. Changing plans only supported between two different plans"},
		{"plan not in offer", flat, map[string]any{"planId": "standard"}, "BadRequest", "Request Plan is NOT in Catalog."},
		{"quantity above max", seats, map[string]any{"quantity": 101}, "BadRequest", "Quantity 101 is above the maximum of plan team-seats, which takes 1 to 100 seats."},
		{"quantity below min", seats, map[string]any{"quantity": 0}, "BadRequest", "Quantity 0 is below the minimum of plan team-seats"},
		{"quantity of a flat plan", flat, map[string]any{"quantity": 2}, "BadRequest", "flat-rate"},
		{"same quantity", seats, map[string]any{"quantity": 5}, "BadRequest", "already has quantity 5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPatch, "/"+tc.id, tc.body)
			expectError(t, r, http.StatusBadRequest, tc.code)
			if !strings.Contains(r.body["message"].(string), tc.message) {
				t.Fatalf("message %q lacks %q", r.body["message"], tc.message)
			}
		})
	}
	r := e.api(http.MethodPatch, "/"+seats, map[string]any{"quantity": 7, "unknownField": 1})
	loc := r.header.Get("Operation-Location")
	if r.status != http.StatusAccepted || !strings.HasPrefix(loc, e.srv.URL+"/api/saas/subscriptions/"+seats+"/operations/") || !strings.HasSuffix(loc, "?api-version=2018-08-31") {
		t.Fatalf("%d %q %s", r.status, loc, r.raw)
	}
	opPath := strings.TrimPrefix(strings.TrimSuffix(loc, v), e.srv.URL+"/api/saas/subscriptions")
	if op := e.api(http.MethodGet, opPath, nil); op.body["status"] != "InProgress" || op.body["quantity"] != 7.0 || op.body["action"] != "ChangeQuantity" {
		t.Fatalf("%s", op.raw)
	}
	if ops := e.api(http.MethodGet, "/"+seats+"/operations", nil); len(ops.body["operations"].([]any)) != 1 {
		t.Fatalf("pending: %s", ops.raw)
	}
	t.Run("second change meanwhile", func(t *testing.T) {
		expectError(t, e.api(http.MethodPatch, "/"+seats, map[string]any{"quantity": 8}), http.StatusConflict, "Conflict")
		expectError(t, e.api(http.MethodDelete, "/"+seats, nil), http.StatusConflict, "Conflict")
	})
	t.Run("the ACK is not the publisher's to give", func(t *testing.T) {
		expectError(t, e.api(http.MethodPatch, opPath, map[string]any{"status": "Success"}), http.StatusBadRequest, "BadRequest")
	})
	if s := e.sub(seats); s["quantity"] != 5.0 {
		t.Fatalf("applied early: %v", s["quantity"])
	}
	e.advance(10 * time.Second)
	if s := e.sub(seats); s["quantity"] != 7.0 {
		t.Fatalf("not applied: %v", s["quantity"])
	}
	if op := e.api(http.MethodGet, opPath, nil); op.body["status"] != "Succeeded" {
		t.Fatalf("%s", op.raw)
	}
	hooks := e.webhooks(seats)
	if len(hooks) != 1 || hooks[0]["action"] != "ChangeQuantity" || hooks[0]["status"] != 200.0 {
		t.Fatalf("%v", hooks)
	}
	body := hooks[0]["body"].(map[string]any)
	if body["operationRequestSource"] != "Partner" || body["quantity"] != 7.0 || body["subscription"].(map[string]any)["quantity"] != 5.0 || body["purchaseToken"] != nil {
		t.Fatalf("payload %v", body)
	}
	t.Run("change of plan", func(t *testing.T) {
		r := e.api(http.MethodPatch, "/"+flat, map[string]any{"planId": "trial"})
		if r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		e.advance(10 * time.Second)
		if s := e.sub(flat); s["planId"] != "trial" {
			t.Fatalf("%v", s)
		}
	})
}

// TestDeleteSubscription: 202, Unsubscribed after operation_delay, a
// second DELETE is 409 meanwhile and 400 after.
func TestDeleteSubscription(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("basic", nil)
	r := e.api(http.MethodDelete, "/"+id, nil)
	if r.status != http.StatusAccepted || r.header.Get("Operation-Location") == "" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	expectError(t, e.api(http.MethodDelete, "/"+id, nil), http.StatusConflict, "Conflict")
	e.advance(10 * time.Second)
	if s := e.sub(id); s["saasSubscriptionStatus"] != "Unsubscribed" {
		t.Fatalf("%v", s)
	}
	expectError(t, e.api(http.MethodDelete, "/"+id, nil), http.StatusBadRequest, "BadRequest")
	expectError(t, e.api(http.MethodPatch, "/"+id, map[string]any{"planId": "trial"}), http.StatusBadRequest, "BadRequest")
	if hooks := e.webhooks(id); len(hooks) != 1 || hooks[0]["action"] != "Unsubscribe" {
		t.Fatalf("%v", hooks)
	}
}

// TestCSPPurchaseIsReadOnly: allowedCustomerOperations [Read] refuses
// PATCH and DELETE with 400.
func TestCSPPurchaseIsReadOnly(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("team-seats", map[string]any{"csp": true, "quantity": 3})
	if ops := e.sub(id)["allowedCustomerOperations"].([]any); len(ops) != 1 || ops[0] != "Read" {
		t.Fatalf("%v", ops)
	}
	expectError(t, e.api(http.MethodPatch, "/"+id, map[string]any{"quantity": 4}), http.StatusBadRequest, "BadRequest")
	expectError(t, e.api(http.MethodDelete, "/"+id, nil), http.StatusBadRequest, "BadRequest")
}

// TestOperationRoutes: unknown subscription or operation is 404, a
// settled operation 409, a bad status 400.
func TestOperationRoutes(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("team-seats", map[string]any{"quantity": 5})
	unknown := "/00000000-0000-4000-8000-000000000000"
	expectError(t, e.api(http.MethodGet, unknown+"/operations", nil), http.StatusNotFound, "EntityNotFound")
	expectError(t, e.api(http.MethodGet, unknown+"/operations"+unknown, nil), http.StatusNotFound, "EntityNotFound")
	expectError(t, e.api(http.MethodGet, "/"+id+"/operations"+unknown, nil), http.StatusNotFound, "EntityNotFound")
	expectError(t, e.api(http.MethodPatch, "/"+id+"/operations"+unknown, map[string]any{"status": "Success"}), http.StatusNotFound, "EntityNotFound")
	op := e.event(id, map[string]any{"action": "ChangeQuantity", "quantity": 9}).body["operationId"].(string)
	opPath := "/" + id + "/operations/" + op
	expectError(t, e.api(http.MethodPatch, opPath, map[string]any{"status": "blah"}), http.StatusBadRequest, "BadRequest")
	expectError(t, e.api(http.MethodPatch, opPath, map[string]any{}), http.StatusBadRequest, "BadRequest")
	if r := e.api(http.MethodPatch, opPath, map[string]any{"status": "Failure"}); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	expectError(t, e.api(http.MethodPatch, opPath, map[string]any{"status": "Success"}), http.StatusConflict, "Conflict")
	if s := e.sub(id); s["quantity"] != 5.0 {
		t.Fatalf("a refused change applied: %v", s["quantity"])
	}
	if r := e.api(http.MethodGet, opPath, nil); r.body["status"] != "Failed" {
		t.Fatalf("%s", r.raw)
	}
	if r := e.api(http.MethodGet, "/"+id+"/operations", nil); len(r.body["operations"].([]any)) != 0 {
		t.Fatalf("settled operations listed as pending: %s", r.raw)
	}
}
