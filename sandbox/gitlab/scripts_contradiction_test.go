package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestContradictoryScriptsAreRefusedWithEveryConflict: a script whose
// effects cannot all apply is refused whole, each conflicting field named,
// and nothing is stored.
func TestContradictoryScriptsAreRefusedWithEveryConflict(t *testing.T) {
	for _, c := range []struct {
		name, body string
		fields     map[string]string // field → the effect it contradicts
	}{
		{"delay with a drop", `{"callout":{"drop":true,"delay":"5m"}}`, map[string]string{"callout.delay": "callout.drop"}},
		{"every send effect with a drop", `{"callout":{"drop":true,"duplicate":2,"reorder":true,"failTimes":1,"auth":"preemptive"}}`,
			map[string]string{"callout.duplicate": "callout.drop", "callout.reorder": "callout.drop",
				"callout.failTimes": "callout.drop", "callout.auth": "callout.drop"}},
		{"two outcomes for the Zuora step", `{"zuora":{"error":"no","decline":"card"}}`, map[string]string{"zuora.decline": "zuora.error"}},
		{"timeout with latency and error", `{"zuora":{"timeout":true,"latency":"1m","error":"x"}}`,
			map[string]string{"zuora.latency": "zuora.timeout", "zuora.error": "zuora.timeout"}},
		{"steps after a Salesforce failure", `{"salesforce":{"error":"x"},"callout":{"delay":"1m"},"license":{"bounce":"full"}}`,
			map[string]string{"callout.delay": "salesforce.error", "license.bounce": "salesforce.error"}},
		{"provisioning after a decline", `{"zuora":{"decline":"card"},"provisioning":{"error":"x"},"license":{"bounce":"y"}}`,
			map[string]string{"provisioning.error": "zuora.decline", "license.bounce": "zuora.decline"}},
		{"bounce after a failed build", `{"provisioning":{"error":"x"},"license":{"bounce":"y"}}`, map[string]string{"license.bounce": "provisioning.error"}},
		{"delay and reorder with manual", `{"callout":{"manual":true,"delay":"5m","reorder":true}}`,
			map[string]string{"callout.delay": "callout.manual", "callout.reorder": "callout.manual"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := frozen(t)
			r := postScript(t, srv, c.body)
			expectError(t, r, http.StatusUnprocessableEntity, "validation_failed")
			got := map[string][]string{}
			for _, e := range r.json["errors"].([]any) {
				m := e.(map[string]any)
				got[m["field"].(string)] = append(got[m["field"].(string)], m["message"].(string))
			}
			for field, cause := range c.fields {
				if !strings.Contains(strings.Join(got[field], " | "), "contradicts "+cause) {
					t.Errorf("%s: %v, want it to contradict %s", field, got[field], cause)
				}
			}
			if list := controlList(t, srv, "/_sandbox/gitlab/scripts", "scripts"); len(list) != 0 {
				t.Errorf("a refused script was stored: %v", list)
			}
		})
	}
}

// TestCompatibleEffectsStillCombine: effects on steps that all happen are
// not contradictions.
func TestCompatibleEffectsStillCombine(t *testing.T) {
	srv := frozen(t)
	for _, body := range []string{
		`{"zuora":{"latency":"1m","decline":"card"},"callout":{"delay":"5m","duplicate":1}}`,
		`{"callout":{"manual":true,"duplicate":1,"failTimes":1,"auth":"preemptive"},"license":{"bounce":"x"}}`,
		`{"zuora":{"latency":"1m"},"salesforce":{"latency":"1m"},"provisioning":{"error":"x"}}`,
	} {
		if r := postScript(t, srv, body); r.status != http.StatusCreated {
			t.Errorf("%s: %d %s", body, r.status, r.raw)
		}
	}
}
