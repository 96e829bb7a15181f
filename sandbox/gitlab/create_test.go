package gitlab_test

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// without returns a copy of the order with the field at path removed.
func without(ext, path string) map[string]any {
	o := order(ext)
	parts := strings.Split(path, ".")
	m := o
	for _, p := range parts[:len(parts)-1] {
		if p == "orderLines[0]" {
			m = o["orderLines"].([]any)[0].(map[string]any)
			continue
		}
		m = m[p].(map[string]any)
	}
	delete(m, parts[len(parts)-1])
	return o
}

func TestCreateAnswersSubscriptionNumberAndCreated(t *testing.T) {
	srv := frozen(t)
	r := create(t, srv, token(t, srv, "demo-partner", scopeCreate), order("happy-1"))
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if !regexp.MustCompile(`^A-S\d{8}$`).MatchString(r.json["subscriptionNumber"].(string)) {
		t.Errorf("subscriptionNumber %v", r.json["subscriptionNumber"])
	}
	want := epoch.Format("2006-01-02T15:04:05.000Z07:00")
	if r.json["status"] != "Created" || r.json["externalSubscriptionId"] != "happy-1" || r.json["createdAt"] != want {
		t.Errorf("body %s", r.raw)
	}
	if _, ok := r.json["failureReason"]; ok {
		t.Error("failureReason present on a healthy order")
	}
}

func TestEachRequiredFieldMissingInTurnIs422NamingIt(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	required := []string{
		"externalSubscriptionId", "tradingPartnerId", "customer", "orderLines",
		"customer.companyName", "customer.contact", "customer.address",
		"customer.contact.firstName", "customer.contact.lastName", "customer.contact.email",
		"customer.address.country", "orderLines[0].productId", "orderLines[0].quantity",
	}
	for _, path := range required {
		t.Run(path, func(t *testing.T) {
			r := create(t, srv, tok, without("missing-"+path, path))
			expectError(t, r, http.StatusUnprocessableEntity, "validation_failed")
			if got := fields(r); !reflect.DeepEqual(got, []string{path}) {
				t.Errorf("fields = %v, want [%s]; body %s", got, path, r.raw)
			}
		})
	}
}

func TestEveryBadFieldIsListedAtOnce(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	o := order("many-problems")
	o["tradingPartnerId"] = "TP-NOT-MINE"
	c := o["customer"].(map[string]any)
	c["contact"].(map[string]any)["email"] = "not-an-email"
	c["address"].(map[string]any)["country"] = "XX"
	delete(c, "companyName")
	o["orderLines"] = []any{
		map[string]any{"productId": "no-such-product", "quantity": 1},
		map[string]any{"productId": premiumSaaS, "quantity": 0},
		map[string]any{"productId": premiumSaaS, "quantity": 1.5},
	}
	r := create(t, srv, tok, o)
	expectError(t, r, http.StatusUnprocessableEntity, "validation_failed")
	want := []string{
		"customer.address.country", "customer.companyName", "customer.contact.email",
		"orderLines[0].productId", "orderLines[1].quantity", "orderLines[2].quantity", "tradingPartnerId",
	}
	if got := fields(r); !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v\nwant %v\nbody %s", got, want, r.raw)
	}
	if strings.Contains(string(r.raw), "not-an-email") || strings.Contains(string(r.raw), "components/schemas") {
		t.Errorf("errors must not echo input or leak the schema: %s", r.raw)
	}
}

func TestFieldRules(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	set := func(path string, v any) map[string]any {
		o := order("rules-" + path)
		switch path {
		case "externalSubscriptionId", "tradingPartnerId", "orderLines":
			o[path] = v
		case "customer.address.country":
			o["customer"].(map[string]any)["address"].(map[string]any)["country"] = v
		case "orderLines[0].quantity":
			o["orderLines"].([]any)[0].(map[string]any)["quantity"] = v
		case "customer.contact.email":
			o["customer"].(map[string]any)["contact"].(map[string]any)["email"] = v
		}
		return o
	}
	cases := []struct {
		name, field string
		value       any
	}{
		{"empty external id", "externalSubscriptionId", ""},
		{"external id with a newline", "externalSubscriptionId", "a\nb"},
		{"external id too long", "externalSubscriptionId", strings.Repeat("x", 256)},
		{"numeric external id", "externalSubscriptionId", 42},
		{"lower-case country", "customer.address.country", "gb"},
		{"three-letter country", "customer.address.country", "GBR"},
		{"unassigned country", "customer.address.country", "ZZ"},
		{"no order lines", "orderLines", []any{}},
		{"order lines not a list", "orderLines", "many"},
		{"negative quantity", "orderLines[0].quantity", -3},
		{"string quantity", "orderLines[0].quantity", "10"},
		{"email without domain", "customer.contact.email", "ada@"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := create(t, srv, tok, set(tc.field, tc.value))
			expectError(t, r, http.StatusUnprocessableEntity, "validation_failed")
			got := fields(r)
			if len(got) == 0 || got[0] != tc.field {
				t.Errorf("fields = %v, want %s; body %s", got, tc.field, r.raw)
			}
		})
	}
	t.Run("unicode everywhere is accepted", func(t *testing.T) {
		o := order("订单-🚀-ü")
		o["customer"].(map[string]any)["companyName"] = "Ünïcødé GmbH 株式会社"
		if r := create(t, srv, tok, o); r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := status(t, srv, tok, "%E8%AE%A2%E5%8D%95-%F0%9F%9A%80-%C3%BC"); r.status != http.StatusOK {
			t.Errorf("status of a unicode id: %d %s", r.status, r.raw)
		}
	})
	t.Run("ids containing a slash are reachable encoded", func(t *testing.T) {
		if r := create(t, srv, tok, order("tenant/42")); r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := status(t, srv, tok, "tenant%2F42"); r.status != http.StatusOK || r.json["externalSubscriptionId"] != "tenant/42" {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
}

func TestMalformedRequestsGetSpecificErrors(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	valid := mustJSON(t, order("malformed"))
	cases := []struct {
		name        string
		contentType string
		body        []byte
		wantStatus  int
		wantCode    string
	}{
		{"no content type", "", valid, 415, "unsupported_media_type"},
		{"form encoded", "application/x-www-form-urlencoded", valid, 415, "unsupported_media_type"},
		{"text", "text/plain", valid, 415, "unsupported_media_type"},
		{"UTF-16 charset", "application/json; charset=utf-16", valid, 415, "unsupported_media_type"},
		{"garbage content type", ";;;", valid, 415, "unsupported_media_type"},
		{"truncated JSON", "application/json", valid[:len(valid)/2], 400, "bad_request"},
		{"empty body", "application/json", nil, 400, "bad_request"},
		{"trailing garbage", "application/json", append(append([]byte{}, valid...), []byte("}}")...), 400, "bad_request"},
		{"invalid UTF-8", "application/json", []byte("{\"externalSubscriptionId\":\"\xff\xfe\"}"), 400, "bad_request"},
		{"JSON array", "application/json", []byte(`[1,2]`), 422, "validation_failed"},
		{"JSON null", "application/json", []byte(`null`), 422, "validation_failed"},
		{"JSON string", "application/json", []byte(`"order"`), 422, "validation_failed"},
		{"body over 1 MiB", "application/json", []byte(`{"x":"` + strings.Repeat("a", 1<<20) + `"}`), 413, "payload_too_large"},
		{"deeply nested", "application/json", []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + tok}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			r := call(t, http.MethodPost, srv.URL+subsPath, h, tc.body)
			expectError(t, r, tc.wantStatus, tc.wantCode)
		})
	}
}

func TestDuplicatesReplayIdenticalAndRejectDifferent(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	first := create(t, srv, tok, order("dup-1"))
	// The same order with other key order and spacing is identical.
	again := create(t, srv, tok, []byte(`{ "orderLines":[{"quantity":10.0,"productId":"`+premiumSaaS+`"}],
	  "customer":{"address":{"country":"GB"},"contact":{"email":"ada@example.com","lastName":"Lovelace","firstName":"Ada"},"companyName":"Acme Corp"},
	  "tradingPartnerId":"TP-DEMO-001","externalSubscriptionId":"dup-1"}`))
	if again.status != first.status || string(again.raw) != string(first.raw) {
		t.Fatalf("replay differs:\n%d %s\n%d %s", first.status, first.raw, again.status, again.raw)
	}
	srv.Advance(time.Hour) // provisioned since; a replay still gives the first answer
	if r := create(t, srv, tok, order("dup-1")); string(r.raw) != string(first.raw) {
		t.Errorf("late replay differs: %s", r.raw)
	}
	changed := order("dup-1")
	changed["orderLines"] = []any{map[string]any{"productId": premiumSaaS, "quantity": 11}}
	expectError(t, create(t, srv, tok, changed), http.StatusConflict, "duplicate_subscription")
	subs := call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions?externalSubscriptionId=dup-1", nil, nil)
	if n := len(subs.json["subscriptions"].([]any)); n != 1 {
		t.Errorf("%d subscriptions for dup-1, want 1", n)
	}
}

func TestRejectPolicyAnswers409ToEveryRepeat(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Duplicates = "reject" }))
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("dup-2"))
	expectError(t, create(t, srv, tok, order("dup-2")), http.StatusConflict, "duplicate_subscription")
}

func TestUnknownSubscriptionIs404(t *testing.T) {
	srv := frozen(t)
	r := status(t, srv, token(t, srv, "demo-partner", scopeRead), "no-such-order")
	expectError(t, r, http.StatusNotFound, "not_found")
}

// TestFieldNamesAreCaseSensitive sends, beside every checked field, the
// same name in other cases with values the schema would refuse: the
// portal reads only the exact names it validated, as Rails params do.
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	// encoding/json lets a later key win, so the variants come last.
	body := strings.NewReplacer(
		`"quantity":10}`, `"quantity":10,"Quantity":0,"productID":"no-such-product"}`,
		`"tradingPartnerId":"TP-DEMO-001"}`, `"tradingPartnerId":"TP-DEMO-001","TradingPartnerId":"TP-SECOND-001","EXTERNALSUBSCRIPTIONID":"\u0000 not checked"}`,
	).Replace(string(mustJSON(t, order("case-1"))))
	if !strings.Contains(body, `"Quantity":0`) || !strings.Contains(body, "EXTERNAL") {
		t.Fatalf("the variants were not added: %s", body)
	}
	if r := create(t, srv, tok, []byte(body)); r.status != http.StatusCreated || r.json["externalSubscriptionId"] != "case-1" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions?externalSubscriptionId=case-1", "subscriptions")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions", len(subs))
	}
	got := subs[0]["order"].(map[string]any)
	gotLine := got["orderLines"].([]any)[0].(map[string]any)
	if got["externalSubscriptionId"] != "case-1" || got["tradingPartnerId"] != "TP-DEMO-001" || gotLine["quantity"] != 10.0 || gotLine["productId"] != premiumSaaS {
		t.Errorf("the stored order took a field the schema did not check: %v", got)
	}
}
