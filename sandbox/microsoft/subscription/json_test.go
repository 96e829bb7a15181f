package subscription_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// tricky are the characters encoding/json treats specially, and a few it
// does not.
var tricky = []string{"", "a", `"`, `\`, "<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
	"é", "\u2028", "\u2029", "\xff", "\xe2\x80", "🙂", "/", "'", " ", "Team (per seat) 5"}

// randomize sets every exported field reachable from v (strings, ints,
// bools, slices, time pointers, times, nested structs) to a random value,
// so that a field added to Subscription and left out of AppendJSON makes
// the comparison fail.
func randomize(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(tricky[r.IntN(len(tricky))])
		}
		v.SetString(b.String())
	case reflect.Int:
		v.SetInt([]int64{0, 1, -1, 5, 1 << 31, -(1 << 31)}[r.IntN(6)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Slice:
		switch r.IntN(3) {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		default:
			s := reflect.MakeSlice(v.Type(), r.IntN(3), 3)
			for i := range s.Len() {
				randomize(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Pointer:
		if r.IntN(3) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		randomize(r, p.Elem())
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("x", -8*3600)}
			t := time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
			if r.IntN(3) == 0 {
				t = t.Truncate(time.Second)
			}
			v.Set(reflect.ValueOf(t))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				randomize(r, v.Field(i))
			}
		}
	default:
		panic("randomize: no case for " + v.Kind().String() + " (" + v.Type().String() + "): add one")
	}
}

// TestAppendJSONIsEncodingJSON: AppendJSON writes what json.Marshal
// writes, for random subscriptions with every field set or not, strings
// full of characters that need escaping, and times in several zones.
func TestAppendJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var s subscription.Subscription
		randomize(r, reflect.ValueOf(&s).Elem())
		want, wantErr := json.Marshal(s)
		got, gotErr := s.AppendJSON(nil)
		if (wantErr != nil) != (gotErr != nil) || string(got) != string(want) {
			t.Fatalf("case %d: AppendJSON\n %s (%v)\nencoding/json\n %s (%v)", i, got, gotErr, want, wantErr)
		}
	}
}

// FuzzAppendJSON puts arbitrary text in a subscription's strings.
func FuzzAppendJSON(f *testing.F) {
	f.Add("Team 5", "x@y.example", "P1M", 5)
	f.Add("<\u2028\xff>", "\x00\"\\", "", 0)
	f.Fuzz(func(t *testing.T, name, email, unit string, quantity int) {
		at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
		s := subscription.Subscription{ID: name, Name: name, Beneficiary: subscription.Identity{EmailID: email, PUID: unit},
			Quantity: quantity, Term: subscription.Term{TermUnit: unit, StartDate: &at, ChargeDuration: name},
			AllowedCustomerOperations: []string{email, unit}, Created: at, SessionMode: email}
		want, _ := json.Marshal(s)
		if got, _ := s.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("AppendJSON\n %q\nencoding/json\n %q", got, want)
		}
	})
}

// BenchmarkAppendJSON compares the two on a subscription as the
// fulfillment API shows it.
func BenchmarkAppendJSON(b *testing.B) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	s := subscription.Subscription{ID: "124bf788-258f-4ed4-ac47-eae338321d2d", PublisherID: "contoso", OfferID: "contoso-analytics",
		Name: "Team (per seat, monthly) 124bf788", SaasSubscriptionStatus: "Subscribed", PlanID: "team-seats", Quantity: 5,
		Beneficiary: subscription.Identity{EmailID: "customer@customer.example", ObjectID: "c468460a-6c93-4a24-8cd4-59d2fe3d9b03", TenantID: "7fccd3b9-3827-45e3-af44-0b06187990ca", PUID: "1003c468460a6c93"},
		Term:        subscription.Term{StartDate: &at, EndDate: &at, TermUnit: "P1M"}, AutoRenew: true, AllowedCustomerOperations: []string{"Read", "Update", "Delete"},
		SessionID: "ecb8e966-1ec1-49a5-85a4-5827ff8e9e7f", FulfillmentID: "174de6b5-6b32-4691-b929-d54c70b3986f", StoreFront: "AzurePortal", SandboxType: "None", Created: at, SessionMode: "None"}
	s.Purchaser = s.Beneficiary
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(s)
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = s.AppendJSON(make([]byte, 0, 1024))
		}
	})
}
