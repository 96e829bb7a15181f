package fault_test

import (
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
)

// A store decides which requests a rule faults; with the same seed it
// decides the same way every time.
func ExampleNewStore() {
	half := 0.5
	rules := fault.Rules{{
		ID:       "flaky-status",
		Match:    fault.Match{Method: "GET", Path: "/api/v1/marketplace/subscriptions/*"},
		Effect:   fault.Effect{Status: 503},
		Schedule: fault.Schedule{Probability: &half},
	}}
	apis := []fault.API{{Name: "gitlab", Statuses: []int{503}}}
	now := func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	store, err := fault.NewStore(now, 7, apis, rules)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		pattern := ""
		for range 12 {
			_, fired := store.Decide(fault.Request{API: "gitlab", Method: "GET", Path: "/api/v1/marketplace/subscriptions/order-1"})
			pattern += map[bool]string{true: "F", false: "."}[fired]
		}
		fmt.Println(pattern)
		store.SetSeed(7)
	}
	// Output:
	// F.FF..FFFF.F
	// F.FF..FFFF.F
}
