package subscription

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestFreezeRoundTrip: a frozen record thaws into the very values it was
// frozen from, whatever its strings (the sandbox's GUIDs, other
// spellings, a custom name, a given customer), so every read answers as
// before it was frozen.
func TestFreezeRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 7, 10, 0, 0, 123456789, time.UTC)
	day := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	end := day.AddDate(0, 1, -1)
	id := NewID()
	object := NewID()
	invented := Identity{EmailID: "customer-" + object[:8] + "@customer.example", ObjectID: object, TenantID: NewID(), PUID: derivedPUID(object)}
	base := Subscription{
		ID: id, PublisherID: "contoso", OfferID: "contoso-analytics", Name: "Team (per seat, monthly) " + id[:8],
		SaasSubscriptionStatus: Unsubscribed, Beneficiary: invented, Purchaser: invented, PlanID: "team-seats", Quantity: 4,
		Term: Term{StartDate: &day, EndDate: &end, TermUnit: "P1M", ChargeDuration: "P1M"}, AutoRenew: true,
		AllowedCustomerOperations: []string{AllowRead, AllowUpdate, AllowDelete}, SessionID: NewID(), FulfillmentID: NewID(),
		StoreFront: "AzurePortal", SandboxType: "None", Created: at, SessionMode: "None", trialEnds: end,
	}
	cases := map[string]func(s *Subscription){
		"as purchased": func(*Subscription) {},
		"a custom name, unicode and controls": func(s *Subscription) {
			s.Name = "Équipe \u2028 <b>&\x01"
		},
		"a given purchaser, upper-case GUIDs": func(s *Subscription) {
			s.Purchaser = Identity{EmailID: "a@b.example", ObjectID: "AABBCCDD-0000-4000-8000-000000000000", TenantID: "x", PUID: ""}
		},
		"no term, no operations allowed": func(s *Subscription) {
			s.Term = Term{TermUnit: "P1Y"}
			s.AllowedCustomerOperations = nil
			s.Quantity, s.AutoRenew, s.IsTest, s.IsFreeTrial = 0, false, true, true
		},
		"empty operations, a short id": func(s *Subscription) {
			s.AllowedCustomerOperations = []string{}
			s.ID, s.Name = "abc", "x abc"
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			s := base.clone()
			change(&s)
			l := &live{sub: s, timeline: []Event{
				{At: at, Kind: "purchase", Detail: "purchased contoso-analytics / team-seats"},
				{At: at.Add(time.Second), Kind: "resolve", Detail: "resolved by contoso", Count: 3},
				{At: at.Add(2 * time.Second), Kind: "operation", Detail: "Unsubscribe Partner Succeeded", OperationID: NewID()},
			}}
			for i, status := range []OperationStatus{OpSucceeded, OpConflict} {
				l.ops = append(l.ops, &opRecord{op: Operation{ID: NewID(), ActivityID: NewID(), SubscriptionID: s.ID, OfferID: s.OfferID,
					PublisherID: s.PublisherID, PlanID: s.PlanID, Quantity: i, Action: ActionChangeQuantity, TimeStamp: at.Add(time.Minute),
					Status: status, OperationRequestSource: SourcePartner, ErrorStatusCode: fmt.Sprint(status), ErrorMessage: "moved on"}})
			}
			var in interner
			b, ok := freeze(l, &in)
			if !ok {
				t.Fatal("not frozen")
			}
			got, err := thaw(b, &in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, l) {
				t.Errorf("thawed\n%+v\nwant\n%+v", got, l)
			}
			if len(b) > 600 {
				t.Errorf("frozen into %d bytes", len(b))
			}
		})
	}
}

// TestFreezeRefusesATimeNotInUTC: the encoding keeps UTC times only; a
// record with another stays live rather than change its answers.
func TestFreezeRefusesATimeNotInUTC(t *testing.T) {
	l := &live{sub: Subscription{ID: NewID(), SaasSubscriptionStatus: Unsubscribed, Created: time.Now().In(time.FixedZone("X", 3600))}}
	if _, ok := freeze(l, &interner{}); ok {
		t.Error("frozen")
	}
}
