package microsoft_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// quantityCases are quantities as a client may write them, with what each
// is: out of range (above or below a plan's limits) is not the same
// mistake as not a whole number, and the answer must say which.
var quantityCases = []struct {
	name, literal string
	// want is "above", "below" or "whole" (not a whole number).
	want string
}{
	{"1e30", "1e30", "above"},
	{"-1", "-1", "below"},
	{"2^53+1", "9007199254740993", "above"},
	{"99999999999", "99999999999", "above"},
	{"20 digits", "18446744073709551617", "above"},
	{"-1e30", "-1e30", "below"},
	{"huge exponent", "1e999999999999", "above"},
	{"fraction", "1.5", "whole"},
	{"tiny fraction", "1e-400", "whole"},
	{"a fraction of a huge one", "1.00000000000000000001", "whole"},
	// An exponent is clamped, but never below the literal's own length:
	// past a million digits, a clamp at 10^6 turned a huge whole number
	// into a fraction and a tiny fraction into 10 seats.
	{"a million fraction digits under a huger exponent", "0." + strings.Repeat("0", 1_000_000) + "1e1000000000", "above"},
	{"a million zeros over a huger negative exponent", "1" + strings.Repeat("0", 1_000_001) + "e-1000000000", "whole"},
	{"string", `"5"`, "whole"},
	{"boolean", "true", "whole"},
	{"array", "[5]", "whole"},
	{"object", `{"n":5}`, "whole"},
}

func wantQuantityMessage(t *testing.T, got, want string) {
	t.Helper()
	phrase := map[string]string{"above": "above the maximum", "below": "below the minimum", "whole": "must be a whole number"}[want]
	if !strings.Contains(got, phrase) {
		t.Fatalf("message %q lacks %q", got, phrase)
	}
}

// TestQuantitiesOutOfRangeSayOutOfRange walks every place a quantity is
// read, through HTTP: PATCH subscription, activate, the control API's
// purchases, ChangeQuantity events and webhook rules' counts. A whole
// number out of range was answered "quantity must be a whole number".
func TestQuantitiesOutOfRangeSayOutOfRange(t *testing.T) {
	e := newEnv(t)
	seats := e.subscribed("team-seats", map[string]any{"quantity": 5})
	pending := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5}).body["subscriptionId"].(string)
	for _, tc := range quantityCases {
		t.Run("PATCH "+tc.name, func(t *testing.T) {
			r := e.api(http.MethodPatch, "/"+seats, `{"quantity":`+tc.literal+`}`)
			expectError(t, r, http.StatusBadRequest, "BadRequest")
			wantQuantityMessage(t, r.body["message"].(string), tc.want)
		})
		t.Run("activate "+tc.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/"+pending+"/activate", `{"planId":"team-seats","quantity":`+tc.literal+`}`)
			expectError(t, r, http.StatusBadRequest, "BadRequest")
			wantQuantityMessage(t, r.body["message"].(string), tc.want)
		})
		t.Run("purchase "+tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/_sandbox/microsoft/purchases", nil, `{"offerId":"contoso-analytics","planId":"team-seats","quantity":`+tc.literal+`}`)
			wantControlField(t, r, "quantity", tc.want)
		})
		t.Run("ChangeQuantity "+tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/_sandbox/microsoft/subscriptions/"+seats+"/events", nil, `{"action":"ChangeQuantity","quantity":`+tc.literal+`}`)
			wantControlField(t, r, "quantity", tc.want)
		})
	}
	t.Run("webhook rule counts", func(t *testing.T) {
		r := e.do(http.MethodPost, "/_sandbox/microsoft/webhooks/rules", nil, `{"copies":1e30,"times":1.5}`)
		if r.status != 422 || !strings.Contains(string(r.raw), `"copies","message":"must be 0 to 10"`) || !strings.Contains(string(r.raw), `"times","message":"must be a whole number"`) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("whole numbers in other spellings are read exactly", func(t *testing.T) {
		for _, lit := range []string{"5.0", "0.5e1", "500e-2", "5E0"} {
			r := e.api(http.MethodPatch, "/"+seats, `{"quantity":`+lit+`}`)
			if r.status != 400 || !strings.Contains(r.body["message"].(string), "already has quantity 5") {
				t.Errorf("%s: %d %s", lit, r.status, r.raw)
			}
		}
	})
}

// wantControlField expects the control API's 422 with field's problem.
func wantControlField(t *testing.T, r reply, field, want string) {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	for _, f := range r.body["errors"].([]any) {
		if f := f.(map[string]any); f["field"] == field {
			wantQuantityMessage(t, f["message"].(string), want)
			return
		}
	}
	t.Fatalf("no problem with %s: %s", field, r.raw)
}

// TestMeteringQuantities: metering's quantity is a double (fractions are
// usage), so only its type, its sign and its range are refused, each in
// its own words; an event without one says it is required.
func TestMeteringQuantities(t *testing.T) {
	e := newEnv(t)
	id := e.subscribed("metered", nil)
	at := e.clock.Now().Format(time.RFC3339)
	for _, tc := range []struct{ name, literal, want string }{
		{"beyond a double", "1e400", "quantity is out of range"},
		{"a string", `"5"`, "quantity must be a number"},
		{"negative", "-1", "quantity must be greater than 0"},
		{"missing", "null", "quantity is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"resourceId":"` + id + `","dimension":"api-calls","planId":"metered","effectiveStartTime":"` + at + `","quantity":` + tc.literal + `}`
			r := e.do(http.MethodPost, "/api/usageEvent"+v, e.as(0), body)
			expectError(t, r, http.StatusBadRequest, "BadArgument")
			if d := r.body["details"].([]any); len(d) != 1 || !strings.Contains(d[0].(map[string]any)["message"].(string), tc.want) {
				t.Fatalf("%s", r.raw)
			}
		})
	}
	r := e.do(http.MethodPost, "/api/usageEvent"+v, e.as(0), `{"resourceId":"`+id+`","dimension":"api-calls","planId":"metered","effectiveStartTime":"`+at+`","quantity":2.5}`)
	if r.status != 200 || r.body["quantity"] != 2.5 {
		t.Fatalf("a fraction of usage: %d %s", r.status, r.raw)
	}
}
