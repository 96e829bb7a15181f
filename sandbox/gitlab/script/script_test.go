package script_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
)

func TestPlanTakesEachFieldFromTheFirstScriptThatSetsIt(t *testing.T) {
	plan := script.PlanOf([]script.Script{
		{ID: "one", Callout: script.CalloutScript{Delay: "30m"}},
		{ID: "partner", Callout: script.CalloutScript{Delay: "20m", FailTimes: 2}, License: script.LicenseScript{Bounce: "full"}},
		{ID: "all", Callout: script.CalloutScript{FailTimes: 5, Drop: true}},
	})
	for _, c := range []struct {
		name      string
		gotScript string
		want      string
	}{
		{"callout.delay", plan.CalloutDelay.Script, "one"},
		{"callout.failTimes", plan.CalloutFailTimes.Script, "partner"},
		{"license.bounce", plan.LicenseBounce.Script, "partner"},
		{"callout.drop", plan.CalloutDrop.Script, "all"},
		{"zuora.error", plan.ZuoraError.Script, ""},
	} {
		if c.gotScript != c.want {
			t.Errorf("%s from %q, want %q", c.name, c.gotScript, c.want)
		}
	}
	if plan.CalloutDelay.Value != 30*time.Minute || plan.CalloutFailTimes.Value != 2 {
		t.Errorf("values %v %v", plan.CalloutDelay.Value, plan.CalloutFailTimes.Value)
	}
	if got := plan.Describe(); got != "callout.delay (one), callout.drop (all), callout.failTimes (partner), license.bounce (partner)" {
		t.Errorf("Describe() = %q", got)
	}
}

func TestMatchingGroupsByLevelNewestFirst(t *testing.T) {
	s := script.NewStore([]script.Script{{ID: "config-1", Zuora: script.ZuoraScript{Error: "x"}}})
	for _, sc := range []script.Script{
		{Partner: "p", ExternalSubscriptionID: "e"}, {Partner: "p"}, {Partner: "q"},
		{Partner: "p", ExternalSubscriptionID: "other"}, {}, {Partner: "p"},
	} {
		if _, err := s.Add(sc); err != nil {
			t.Fatal(err)
		}
	}
	got := s.Matching("p", "e")
	ids := func(l []script.Script) string {
		out := ""
		for _, sc := range l {
			out += sc.ID + " "
		}
		return out
	}
	if ids(got[script.ForSubscription]) != "s1 " || ids(got[script.ForPartner]) != "s6 s2 " || ids(got[script.ForAll]) != "s5 config-1 " {
		t.Errorf("levels %q %q %q", ids(got[0]), ids(got[1]), ids(got[2]))
	}
	s.Reset()
	if l := s.List(); len(l) != 1 || l[0].ID != "config-1" {
		t.Errorf("after reset %v", l)
	}
}

func TestStoreIsSafeForConcurrentUse(t *testing.T) {
	s := script.NewStore(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				sc, _ := s.Add(script.Script{Partner: "p", Callout: script.CalloutScript{Drop: true}})
				_ = s.Matching("p", fmt.Sprint(j))
				if j%2 == i%2 {
					_, _ = s.Remove(sc.ID)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(s.List()); n != 200 {
		t.Errorf("%d scripts left, want 200", n)
	}
}
