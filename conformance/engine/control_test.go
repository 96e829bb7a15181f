package engine_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// sandboxNeeds declares every capability a control test may use.
const sandboxNeeds = "needs: [control, faults, scripts]\n"

// TestControlActionsReachTheSandbox pins each action of the vocabulary to
// the request our sandbox's control API expects.
func TestControlActionsReachTheSandbox(t *testing.T) {
	tests := []struct {
		action, with string
		want         string // METHOD path?query
		body         string
	}{
		{"reset", "", "POST /_sandbox/reset", ""},
		{"clock.advance", "{by: 30m}", "POST /_sandbox/clock/advance", `{"by":"30m"}`},
		{"subscriptions.list", "{externalSubscriptionId: e1}", "GET /_sandbox/gitlab/subscriptions?externalSubscriptionId=e1", ""},
		{"callouts.list", "{subscriptionNumber: A-S1}", "GET /_sandbox/gitlab/callouts?subscriptionNumber=A-S1", ""},
		{"outbox.list", "{subscriptionNumber: A-S1}", "GET /_sandbox/gitlab/outbox?subscriptionNumber=A-S1", ""},
		{"fault.add", "{id: r1, match: {path: /oauth/token}, effect: {status: 503}, schedule: {times: 2}}", "POST /_sandbox/faults",
			`{"effect":{"status":503},"id":"r1","match":{"path":"/oauth/token"},"schedule":{"times":2}}`},
		{"fault.get", "{id: r/1}", "GET /_sandbox/faults/r%2F1", ""},
		{"fault.delete", "{id: r1}", "DELETE /_sandbox/faults/r1", ""},
		{"faults.list", "", "GET /_sandbox/faults", ""},
		{"faults.clear", "", "DELETE /_sandbox/faults", ""},
		{"faults.seed", "{seed: 7}", "POST /_sandbox/faults/seed", `{"seed":7}`},
		{"journal.query", "{partner: p1, status: 503, limit: 5}", "GET /_sandbox/journal?limit=5&partner=p1&status=503", ""},
		{"script.add", "{id: s1, partner: p1, externalSubscriptionId: e1, zuora: {decline: card}}", "POST /_sandbox/gitlab/scripts",
			`{"externalSubscriptionId":"e1","id":"s1","partner":"p1","zuora":{"decline":"card"}}`},
		{"script.get", "{id: s1}", "GET /_sandbox/gitlab/scripts/s1", ""},
		{"script.delete", "{id: s1}", "DELETE /_sandbox/gitlab/scripts/s1", ""},
		{"scripts.list", "", "GET /_sandbox/gitlab/scripts", ""},
		{"scripts.clear", "", "DELETE /_sandbox/gitlab/scripts", ""},
		{"callouts.pending", "", "GET /_sandbox/gitlab/callouts/pending", ""},
		{"callout.fire", "{notificationId: n1}", "POST /_sandbox/gitlab/callouts/n1/fire", ""},
		{"callout.drop", "{notificationId: n1}", "POST /_sandbox/gitlab/callouts/n1/drop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			rec := &recorder{answer: jsonAnswer(200, `{"id":"r1"}`)}
			step := "  - control: {action: " + tt.action + "}\n"
			if tt.with != "" {
				step = "  - control: {action: " + tt.action + ", with: " + tt.with + "}\n"
			}
			res := runInline(t, rec, sandboxNeeds+"steps:\n"+step, []string{"control", "faults", "scripts"})
			if res.Outcome != engine.Pass {
				t.Fatalf("%s", res.Message())
			}
			r := rec.requests[0]
			got := r.Method + " " + r.URL.EscapedPath()
			if r.URL.RawQuery != "" {
				got += "?" + r.URL.RawQuery
			}
			if got != tt.want || rec.bodies[0] != tt.body {
				t.Errorf("sent %s %s, want %s %s", got, rec.bodies[0], tt.want, tt.body)
			}
		})
	}
}

// TestControlAnswersAreJudgedLikeResponses shows a control step's answer
// captured and checked, and a status expectation replacing the 2xx rule.
func TestControlAnswersAreJudgedLikeResponses(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
		switch r.URL.Path {
		case "/_sandbox/journal":
			jsonAnswer(200, `{"entries":[{"status":503,"fault":"r1","request":{"body":"client_secret=****"}}],"total":1}`)(w, r, "")
		default:
			jsonAnswer(404, `{"error":"not_found"}`)(w, r, "")
		}
	}}
	res := runInline(t, rec, sandboxNeeds+`steps:
  - control: {action: journal.query, with: {status: 503}}
    capture: {rule: {json: "entries[0].fault"}}
    expect:
      json:
        entries: {length: 1}
        "entries[0].request.body": {excludes: "${creds.create.clientSecret}"}
  - control: {action: fault.get, with: {id: "${vars.rule}"}}
    expect: {status: 404, json: {error: {equals: not_found}}}
`, []string{"control", "faults", "scripts"})
	if res.Outcome != engine.Pass {
		t.Fatalf("%s", res.Message())
	}
	if got := rec.requests[1].URL.Path; got != "/_sandbox/faults/r1" {
		t.Errorf("second step asked for %s", got)
	}
}

// TestInstalledFaultsAndScriptsAreRemoved proves that what a scenario
// installs is removed after it, newest first, even when it failed, and
// that a clean-up the sandbox refuses fails a scenario that had passed.
func TestInstalledFaultsAndScriptsAreRemoved(t *testing.T) {
	const installs = sandboxNeeds + `steps:
  - control: {action: fault.add, with: {effect: {status: 503}}}
  - control: {action: script.add, with: {partner: p, externalSubscriptionId: e, callout: {drop: true}}}
  - control: {action: fault.delete, with: {id: f-1}}
  - request: {method: GET, path: /x}
    expect: {status: 200}
`
	tests := []struct {
		name        string
		getStatus   int // the answer to GET /x
		undoStatus  int // the answer to the script's DELETE
		wantOutcome engine.Outcome
		wantFailure string
	}{
		{"after a pass", 200, 200, engine.Pass, ""},
		{"after a failure", 500, 200, engine.Fail, "status: want 200, got 500"},
		{"a refused clean-up fails the scenario", 200, 500, engine.Fail, "undo script.add: DELETE /_sandbox/gitlab/scripts/s-1: status 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var deletes []string
			rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
				switch {
				case r.Method == http.MethodPost && r.URL.Path == "/_sandbox/faults":
					jsonAnswer(201, `{"id":"f-1"}`)(w, r, "")
				case r.Method == http.MethodPost:
					jsonAnswer(201, `{"id":"s-1"}`)(w, r, "")
				case r.Method == http.MethodDelete:
					mu.Lock()
					deletes = append(deletes, r.URL.Path)
					first := len(deletes) == 1
					mu.Unlock()
					switch {
					case strings.HasPrefix(r.URL.Path, "/_sandbox/faults/") && !first:
						jsonAnswer(404, `{"error":"not_found"}`)(w, r, "") // the step deleted it already
					case strings.HasPrefix(r.URL.Path, "/_sandbox/gitlab/scripts/"):
						jsonAnswer(tt.undoStatus, `{}`)(w, r, "")
					default:
						jsonAnswer(200, `{}`)(w, r, "")
					}
				default:
					jsonAnswer(tt.getStatus, `{}`)(w, r, "")
				}
			}}
			res := runInline(t, rec, installs, []string{"control", "faults", "scripts"})
			if res.Outcome != tt.wantOutcome || (tt.wantFailure != "" && !strings.Contains(res.Message(), tt.wantFailure)) {
				t.Fatalf("outcome %s, want %s with %q:\n%s", res.Outcome, tt.wantOutcome, tt.wantFailure, res.Message())
			}
			want := "/_sandbox/faults/f-1,/_sandbox/gitlab/scripts/s-1,/_sandbox/faults/f-1"
			if strings.Join(deletes, ",") != want {
				t.Errorf("deletes %v, want the step's, then the script's and the fault's clean-up: %s", deletes, want)
			}
			last := res.Steps[len(res.Steps)-1]
			if last.Kind != "cleanup" || len(last.Exchanges) != 2 {
				t.Errorf("last step %s with %d exchanges, want the clean-up with 2", last.Kind, len(last.Exchanges))
			}
		})
	}
}

// TestAnInstallWithoutIDFails: the sandbox must say what it installed, or
// the engine could not remove it.
func TestAnInstallWithoutIDFails(t *testing.T) {
	rec := &recorder{answer: jsonAnswer(201, `{"matches":0}`)}
	res := runInline(t, rec, sandboxNeeds+"steps:\n  - control: {action: fault.add, with: {effect: {status: 503}}}\n", []string{"control", "faults", "scripts"})
	if res.Outcome != engine.Fail || !strings.Contains(res.Message(), "control fault.add: the answer has no id") {
		t.Fatalf("%s", res.Message())
	}
}

// TestFaultScenariosUseFreshConnections: a scenario that injects faults
// never reuses a connection, so Go's transport cannot silently repeat a
// request a fault broke.
func TestFaultScenariosUseFreshConnections(t *testing.T) {
	for _, tt := range []struct {
		needs string
		fresh bool
	}{{"needs: [control, faults]\n", true}, {"", false}} {
		var mu sync.Mutex
		addrs := map[string]bool{}
		rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request, _ string) {
			mu.Lock()
			addrs[r.RemoteAddr] = true
			mu.Unlock()
			jsonAnswer(200, `{}`)(w, r, "")
		}}
		res := runInline(t, rec, tt.needs+"steps:\n  - request: {method: GET, path: /a}\n  - request: {method: GET, path: /b}\n  - request: {method: GET, path: /c}\n    expect: {status: 200}\n",
			[]string{"control", "faults"})
		if res.Outcome != engine.Pass {
			t.Fatalf("%s", res.Message())
		}
		if got := len(addrs) == 3; got != tt.fresh {
			t.Errorf("needs %q: %d connections for 3 requests", tt.needs, len(addrs))
		}
	}
}
