package microsoft_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestObservedProfile walks every deviation of profile.go's table.
func TestObservedProfile(t *testing.T) {
	e := newEnv(t, observed)
	unknown := "/00000000-0000-4000-8000-000000000000"
	id := e.subscribed("team-seats", map[string]any{"quantity": 5})
	t.Run("list operations of an unknown subscription is empty", func(t *testing.T) {
		if r := e.api(http.MethodGet, unknown+"/operations", nil); r.status != 200 || len(r.body["operations"].([]any)) != 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("unknown operation is 400", func(t *testing.T) {
		expectError(t, e.api(http.MethodGet, "/"+id+"/operations"+unknown, nil), 400, "EntityNotFound")
		expectError(t, e.api(http.MethodPatch, unknown+"/operations"+unknown, map[string]any{"status": "Success"}), 400, "EntityNotFound")
	})
	op := e.event(id, map[string]any{"action": "ChangeQuantity", "quantity": 6}).body["operationId"].(string)
	opPath := "/" + id + "/operations/" + op
	t.Run("any ACK status is 200", func(t *testing.T) {
		if r := e.api(http.MethodPatch, opPath, map[string]any{"status": "blah"}); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("the 409 names the request id", func(t *testing.T) {
		e.api(http.MethodPatch, opPath, map[string]any{"status": "Success"})
		r := e.api(http.MethodPatch, opPath, map[string]any{"status": "Success"})
		expectError(t, r, 409, "Conflict")
		if !strings.Contains(r.body["message"].(string), r.header.Get("x-ms-requestid")) {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("a PATCH while locked is 400 Failed", func(t *testing.T) {
		e.api(http.MethodPatch, "/"+id, map[string]any{"quantity": 7})
		r := e.api(http.MethodPatch, "/"+id, map[string]any{"quantity": 8})
		expectError(t, r, 400, "Failed")
		if r.body["message"] != "Patch cannot be completed because the subscription is locked due to pending operations" || r.body["target"] != "update" {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("unsubscribe drops the quantity", func(t *testing.T) {
		e.advance(10 * time.Second)
		e.api(http.MethodDelete, "/"+id, nil)
		e.advance(10 * time.Second)
		if s := e.sub(id); s["saasSubscriptionStatus"] != "Unsubscribed" || s["quantity"] != nil {
			t.Fatalf("%v", s)
		}
	})
	t.Run("activate does not check plan or quantity", func(t *testing.T) {
		p := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "basic"}).body["subscriptionId"].(string)
		if r := e.api(http.MethodPost, "/"+p+"/activate", map[string]any{"planId": "nonsense", "quantity": 99}); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}
