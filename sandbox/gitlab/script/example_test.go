package script_test

import (
	"fmt"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
)

// A partner-wide script and one for a single order: per field, the order's
// own script wins and the partner's fills in the rest.
func ExampleStore_Matching() {
	store := script.NewStore(nil)
	_, _ = store.Add(script.Script{Partner: "demo-partner", Callout: script.CalloutScript{Delay: "20m", FailTimes: 2}})
	_, _ = store.Add(script.Script{Partner: "demo-partner", ExternalSubscriptionID: "order-1", Callout: script.CalloutScript{Delay: "30m"}})

	levels := store.Matching("demo-partner", "order-1")
	var ordered []script.Script
	for _, level := range levels {
		ordered = append(ordered, level...)
	}
	plan := script.PlanOf(ordered)
	fmt.Println(plan.CalloutDelay.Value, "from", plan.CalloutDelay.Script)
	fmt.Println(plan.CalloutFailTimes.Value, "failures from", plan.CalloutFailTimes.Script)
	// Output:
	// 30m0s from s2
	// 2 failures from s1
}

// Decode lists every problem of a posted script at once.
func ExampleDecode() {
	known := func(id string) bool { return id == "demo-partner" }
	_, problems := script.Decode([]byte(`{"partner":"nobody","zuora":{"latncy":"5m"}}`), known)
	for _, p := range problems {
		fmt.Printf("%s: %s\n", p.Field, p.Message)
	}
	// Output:
	// partner: no partner "nobody" exists (see GET /_sandbox/gitlab/fixtures)
	// zuora.latncy: unknown field; known fields here: decline, error, latency, timeout
}
