package openapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
)

const createPath = "/api/v1/marketplace/subscriptions"

const validOrder = `{"externalSubscriptionId":"x-1","tradingPartnerId":"TP-DEMO-001",
 "customer":{"companyName":"Acme","contact":{"firstName":"Ada","lastName":"L","email":"ada@example.com"},"address":{"country":"GB"}},
 "orderLines":[{"productId":"2c92a00d76f0d5060176f2fb0a5029ff","quantity":10}]}`

// agreementCorpus mixes valid orders with every kind of schema finding the
// fast check must hand to the full validator.
var agreementCorpus = []string{
	validOrder,
	`{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"nope"},"address":{"country":"gb"}},"orderLines":[{"productId":"p","quantity":0},{}]}`,
	`{}`, `[]`, `null`, `"order"`, `12`, `{"externalSubscriptionId":""}`,
	`{"externalSubscriptionId":"x\u0001","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"GB"}},"orderLines":[{"productId":"p","quantity":1}]}`,
	`{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"GB"}},"orderLines":[]}`,
	`{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"GB"}},"orderLines":[{"productId":"p","quantity":1.5}]}`,
	`{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"GB"}},"orderLines":[{"productId":"p","quantity":"1"}]}`,
	`{"externalSubscriptionId":"x","tradingPartnerId":"t","customer":{"companyName":"c","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"GB"}},"orderLines":[{"productId":"p","quantity":1}],"extra":true}`,
	`{"externalSubscriptionId":"Ünïcödé ✓","tradingPartnerId":"t","customer":{"companyName":"株式会社","contact":{"firstName":"a","lastName":"b","email":"a@b.example"},"address":{"country":"JP"}},"orderLines":[{"productId":"p","quantity":1e3}]}`,
}

func newTestValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := New(spec.YAML)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func createRequest(body []byte, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, createPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

// checkAgreement fails if the fast check accepts a body the full validator
// rejects.
func checkAgreement(t *testing.T, v *Validator, body []byte, contentType string) bool {
	t.Helper()
	_, fast := v.fast.valid(createRequest(body, contentType), body)
	full, errs := v.v.ValidateHttpRequestSync(createRequest(body, contentType))
	if fast && !full {
		t.Errorf("fast check accepts %s (%s), the full validator does not: %v", body, contentType, flatten(errs))
	}
	return fast
}

func TestFastBodyCheckNeverAcceptsWhatTheFullValidatorRejects(t *testing.T) {
	v := newTestValidator(t)
	if len(v.fast) == 0 {
		t.Fatal("no body-only operation compiled; create should be one")
	}
	for _, body := range agreementCorpus {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "text/plain", ""} {
			checkAgreement(t, v, []byte(body), ct)
		}
	}
}

func TestFastBodyCheckIsUsedForValidOrders(t *testing.T) {
	v := newTestValidator(t)
	if !checkAgreement(t, v, []byte(validOrder), "application/json") {
		t.Error("a valid order did not take the fast check")
	}
	if got := v.ValidateRequest(createRequest([]byte(validOrder), "application/json"), []byte(validOrder)); got != nil {
		t.Errorf("valid order has findings: %v", got)
	}
}

func FuzzFastBodyCheckAgrees(f *testing.F) {
	for _, body := range agreementCorpus {
		f.Add([]byte(body))
	}
	v := newTestValidator(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgreement(t, v, body, "application/json")
	})
}
