package gitlab

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
)

// TestOrderOfAgreesWithTypedDecoding reads valid orders of every shape
// both ways: from the generic value the schema checked, and with
// encoding/json's typed decoding, which the portal used before.
func TestOrderOfAgreesWithTypedDecoding(t *testing.T) {
	bodies := []string{
		`{"externalSubscriptionId":"a","tradingPartnerId":"TP","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e@x.io"},"address":{"country":"FR"}},"orderLines":[{"productId":"p","quantity":1}]}`,
		`{"externalSubscriptionId":"ünï ☃ \u00e9","tradingPartnerId":"TP","customer":{"companyName":"Ça","contact":{"firstName":"F","lastName":"L","email":"e@x.io","phone":"+33 1"},"address":{"country":"DE","line1":"1","line2":"2","city":"B","state":"S","postalCode":"10115"}},"orderLines":[{"productId":"p","quantity":1000000},{"productId":"q","quantity":2},{"productId":"p","quantity":1000}],"extra":{"nested":[1,2]}}`,
		`{"orderLines":[{"quantity":7,"productId":"z","note":"x"}],"customer":{"address":{"country":"US","city":""},"contact":{"email":"a@b.co","lastName":"L","firstName":"F","phone":""},"companyName":"C"},"tradingPartnerId":"T","externalSubscriptionId":"k"}`,
	}
	for _, body := range bodies {
		var raw any
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		got, err := orderOf(raw)
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		var typed subscription.Order
		if err := json.Unmarshal([]byte(body), &typed); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, typed) {
			t.Errorf("%s:\n orderOf %+v\n typed   %+v", body, got, typed)
		}
	}
}

// TestOrderOfReadsWholeNumbersInAnyNotation: JSON Schema counts 2.0 and
// 1e3 as integers, so the portal must too.
func TestOrderOfReadsWholeNumbersInAnyNotation(t *testing.T) {
	var raw any
	body := `{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e"},"address":{"country":"FR"}},"orderLines":[{"productId":"p","quantity":2.0},{"productId":"p","quantity":1e3},{"productId":"p","quantity":0.5e1}]}`
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	o, err := orderOf(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{o.OrderLines[0].Quantity, o.OrderLines[1].Quantity, o.OrderLines[2].Quantity}; !reflect.DeepEqual(got, []int{2, 1000, 5}) {
		t.Errorf("quantities %v", got)
	}
}

// TestOrderOfReportsWhatTheSchemaShouldHaveRejected covers values that can
// reach orderOf only if the schema were wrong: an error, never a panic.
func TestOrderOfReportsWhatTheSchemaShouldHaveRejected(t *testing.T) {
	for _, body := range []string{
		`[]`, `null`, `"order"`, `{}`,
		`{"externalSubscriptionId":1}`,
		`{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":5}`,
		`{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e","phone":7},"address":{"country":"FR"}},"orderLines":[]}`,
		`{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e"},"address":{"country":"FR"}},"orderLines":[1]}`,
		`{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e"},"address":{"country":"FR"}},"orderLines":[{"productId":"p","quantity":1.5}]}`,
		`{"externalSubscriptionId":"a","tradingPartnerId":"T","customer":{"companyName":"C","contact":{"firstName":"F","lastName":"L","email":"e"},"address":{"country":"FR"}},"orderLines":{"productId":"p"}}`,
	} {
		var raw any
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		if _, err := orderOf(raw); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
}
