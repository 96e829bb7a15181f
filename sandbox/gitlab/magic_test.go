package gitlab_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// magicStories is what each magic value must do; the table itself lives
// in magic.go, and a value without a story here fails the test.
var magicStories = map[string]lifecycle{
	"zuora-error": {created: "Failed", path: "Creating>Failed"},
	"zuora-decline": {created: "Created", steps: []step{{2 * time.Second, "Failed"}}, path: "Creating>Created>Failed",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Zuora reported the payment declined: card declined (sandbox magic value)")
		}},
	"zuora-slow": {created: "Creating", steps: []step{{5*time.Minute - time.Millisecond, "Creating"}, {time.Millisecond, "Created"}, {2 * time.Second, "Provisioned"}},
		path: "Creating>Created>Provisioned"},
	"zuora-timeout": {created: "Creating", steps: []step{{time.Minute - time.Millisecond, "Creating"}, {time.Millisecond, "Failed"}}, path: "Creating>Failed",
		check: func(t *testing.T, _ *sandboxtest.Server, sub map[string]any) {
			failureReason(t, sub, "Zuora did not answer within 60s")
		}},
	"salesforce-error": {created: "Failed", path: "Creating>Failed"},
	"callout-drop":     {created: "Created", steps: []step{{48 * time.Hour, "Created"}}, path: "Creating>Created"},
	"callout-duplicate": {created: "Created", steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			if d := authenticated(deliveriesOf(t, srv, sub["subscriptionNumber"].(string))); len(d) != 2 || d[1]["copy"] != 1.0 {
				t.Errorf("deliveries %v, want the original and one copy", d)
			}
			if len(outboxOf(t, srv)) != 1 {
				t.Error("want one email")
			}
		}},
	"callout-fail-twice": {created: "Created", steps: []step{{2 * time.Second, "Created"}, {time.Hour - time.Millisecond, "Created"}, {time.Millisecond, "Provisioned"}},
		path: "Creating>Created>Provisioned"},
	"callout-delay-30m": {created: "Created", steps: []step{{30*time.Minute - time.Millisecond, "Created"}, {time.Millisecond, "Provisioned"}},
		path: "Creating>Created>Provisioned"},
	"callout-manual": {created: "Created", steps: []step{{48 * time.Hour, "Created"}}, path: "Creating>Created",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			fireThePendingCallout(t, srv, sub, "magic:callout-manual")
		}},
	"license-error": {created: "Created", steps: []step{{2 * time.Second, "Failed"}}, path: "Creating>Created>Failed"},
	"email-bounce": {created: "Created", steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, _ map[string]any) {
			if mail := outboxOf(t, srv); len(mail) != 1 || mail[0]["bounced"] != true {
				t.Errorf("outbox %v, want one bounced email", mail)
			}
		}},
}

func TestEveryMagicValueInTheExternalID(t *testing.T) {
	for _, m := range gitlab.MagicValues() {
		t.Run(m.Name, func(t *testing.T) {
			story, ok := magicStories[m.Name]
			if !ok {
				t.Fatalf("magic value %s has no test story", m.Value())
			}
			srv := frozen(t)
			story.run(t, srv, order(m.Value()+"-42"))
			sub := subscriptionRecord(t, srv, "demo-partner", m.Value()+"-42")
			scriptedEvent(t, sub, "script", "", "(magic:"+m.Name+")")
		})
	}
}

func TestMagicValueInTheContactEmail(t *testing.T) {
	for _, email := range []string{"sandbox-email-bounce@example.com", "ada+sandbox-email-bounce@example.com"} {
		t.Run(email, func(t *testing.T) {
			srv := frozen(t)
			o := order("plain-1")
			o["customer"].(map[string]any)["contact"].(map[string]any)["email"] = email
			magicStories["email-bounce"].run(t, srv, o)
		})
	}
}

func TestMagicValuesCanBeTurnedOff(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.MagicValues = false }))
	lifecycle{created: "Created", steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned"}.
		run(t, srv, order("sandbox-zuora-error-1"))
}

func TestMagicValueNeedsAWordBoundary(t *testing.T) {
	srv := frozen(t)
	// "sandbox-zuora-errors" is not "sandbox-zuora-error" followed by "-".
	lifecycle{created: "Created", path: "Creating>Created"}.run(t, srv, order("sandbox-zuora-errors"))
}

// TestReadmeListsEveryMagicValue keeps the README's table in step with
// magic.go.
func TestReadmeListsEveryMagicValue(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range gitlab.MagicValues() {
		row := "| `" + m.Value() + "` | " + m.Outcome + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the magic value row:\n%s", row)
		}
	}
}

func TestAScriptForTheSubscriptionBeatsItsMagicValue(t *testing.T) {
	srv := frozen(t)
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"sandbox-callout-delay-30m-1","callout":{"delay":"5m"}}`)
	mustScript(t, srv, `{"partner":"demo-partner","callout":{"delay":"20m"}}`)
	lifecycle{created: "Created", steps: []step{{5 * time.Minute, "Provisioned"}}, path: "Creating>Created>Provisioned"}.
		run(t, srv, order("sandbox-callout-delay-30m-1"))
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("sandbox-callout-delay-30m-2")) // magic beats the partner's script
	srv.Advance(30*time.Minute - time.Millisecond)
	if got := statusOf(t, srv, tok, "sandbox-callout-delay-30m-2"); got != "Created" {
		t.Fatalf("status %s before the magic 30m", got)
	}
	srv.Advance(time.Millisecond)
	if got := statusOf(t, srv, tok, "sandbox-callout-delay-30m-2"); got != "Provisioned" {
		t.Errorf("status %s after the magic 30m", got)
	}
	if r := call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/scripts", nil, nil); len(r.json["scripts"].([]any)) != 2 {
		t.Errorf("magic values are not scripts in the store: %s", r.raw)
	}
}

// TestControlAPIListsMagicValues: GET /_sandbox/gitlab/magic says whether
// magic values are on and lists each with the script it stands for, so a
// harness can skip magic scenarios on a sandbox started without them.
func TestControlAPIListsMagicValues(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.MagicValues = enabled }))
		got := call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/magic", nil, nil)
		if got.status != http.StatusOK || got.json["enabled"] != enabled {
			t.Fatalf("magic_values %v: %d %s", enabled, got.status, got.raw)
		}
		values, _ := got.json["values"].([]any)
		if len(values) != len(gitlab.MagicValues()) {
			t.Fatalf("listed %d values, the table has %d", len(values), len(gitlab.MagicValues()))
		}
		for i, m := range gitlab.MagicValues() {
			row, _ := values[i].(map[string]any)
			if row["value"] != m.Value() || row["outcome"] != m.Outcome || row["script"] == nil {
				t.Errorf("row %d: %v, want %s", i, row, m.Value())
			}
		}
	}
}
