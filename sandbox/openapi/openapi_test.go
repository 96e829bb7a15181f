package openapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

func TestEmbeddedDocumentBuildsAndMapsFindingsToFields(t *testing.T) {
	v, err := openapi.Prepare(spec.YAML).Get()
	if err != nil {
		t.Fatal(err)
	}
	body := `{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"nope"},"address":{"country":"gb"}},"orderLines":[{"productId":"p","quantity":0},{}]}`
	r := httptest.NewRequest("POST", "/api/v1/marketplace/subscriptions", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	got := v.ValidateRequest(r, []byte(body))
	want := []openapi.FieldError{
		{Field: "customer.address.country", Message: "must match the pattern '^[A-Z]{2}$'"},
		{Field: "customer.contact.email", Message: "must be a valid email"},
		{Field: "orderLines[0].quantity", Message: "must be at least 1"},
		{Field: "orderLines[1].productId", Message: "is required"},
		{Field: "orderLines[1].quantity", Message: "is required"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestBrokenDocumentIsAnError(t *testing.T) {
	if _, err := openapi.Prepare([]byte("openapi: [")).Get(); err == nil {
		t.Error("no error for a broken document")
	}
}
