package scenario_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

const validScenario = `id: token-success
title: A token is issued
requirement: The token endpoint MUST issue a bearer token to a known client.
api: gitlab
labels: [token]
steps:
  - name: ask for a token
    request:
      method: POST
      path: /oauth/token
      form:
        grant_type: client_credentials
        client_id: ${creds.create.clientId}
    expect:
      status: 200
      json:
        access_token: {length: 43}
    capture:
      token: {json: access_token}
  - request:
      method: GET
      path: /x
      auth: {bearer: "${vars.token}"}
    expect:
      status: [200, 404]
`

func load(t *testing.T, files map[string]string) (*scenario.Library, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return scenario.Load(fsys, "scenarios")
}

func TestLoadValid(t *testing.T) {
	lib, err := load(t, map[string]string{"token.yaml": validScenario})
	if err != nil {
		t.Fatal(err)
	}
	sc := lib.Scenarios[0]
	if sc.ID != "token-success" || len(sc.Steps) != 2 || sc.Steps[1].Line != 20 {
		t.Fatalf("unexpected scenario %+v", sc)
	}
	if got := sc.Steps[0].Expect.JSON["access_token"].Length; got == nil || !got.HasEquals {
		t.Errorf("length matcher not decoded: %+v", got)
	}
	if got := sc.Steps[1].Expect.Status; len(got) != 2 {
		t.Errorf("status list not decoded: %v", got)
	}
}

func TestLoadExpandsEachCase(t *testing.T) {
	body := strings.Replace(validScenario, "steps:", "each:\n  - {field: a}\n  - {field: b, }\nsteps:", 1)
	body = strings.Replace(body, "path: /x", "path: /x/${each.field}", 1)
	lib, err := load(t, map[string]string{"t.yaml": body})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sc := range lib.Scenarios {
		ids = append(ids, sc.ID)
	}
	if strings.Join(ids, ",") != "token-success/a,token-success/b" {
		t.Errorf("ids = %v", ids)
	}
}

// TestLoadRejects proves that each kind of mistake is reported with the
// file, the line and the field an author has to fix.
func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           string
	}{
		{"unknown key", "    expect:\n      status: 200", "    expect:\n      stauts: 200", "scenarios/s.yaml:15: steps[0].expect.stauts: additional properties 'stauts' not allowed"},
		{"bad status type", "status: 200", "status: ok", "scenarios/s.yaml:15: steps[0].expect.status"},
		{"no RFC 2119 word", "MUST issue", "issues", "scenarios/s.yaml:3: requirement"},
		{"step without action", "  - request:\n      method: GET", "  - wait:\n      method: GET", "scenarios/s.yaml:20: steps[1]: a step has exactly one of: request, poll, control"},
		{"unknown variable", "${vars.token}", "${vars.tokn}", `scenarios/s.yaml:23: steps[1].request.auth.bearer: unknown variable (no step captures it) "tokn"`},
		{"unknown credential", "creds.create.clientId", "creds.admin.clientId", "scenarios/s.yaml:13: steps[0].request.form.client_id: want ${creds."},
		{"bad field path", "access_token: {length: 43}", "access_token[: {length: 43}", "scenarios/s.yaml:17: steps[0].expect.json.access_token[: field path"},
		{"duplicate key", "    expect:\n      status: 200", "    expect:\n      status: 200\n      status: 201", "scenarios/s.yaml:16"},
		{"control without capability", "  - request:\n      method: GET\n      path: /x", "  - control: {action: reset}\n    request:\n      method: GET\n      path: /x", "s.yaml:20: steps[1]: a step has exactly one of: request, poll, control"},
		{"control needs capability", "  - request:\n      method: GET\n      path: /x\n      auth: {bearer: \"${vars.token}\"}\n    expect:\n      status: [200, 404]\n", "  - control: {action: reset}\n", `s.yaml:20: steps[1].control: a control step needs "control" in needs`},
		{"bad regex", "{length: 43}", "{matches: \"(\"}", "steps[0].expect.json.access_token.matches: bad regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(validScenario, tt.from, tt.to, 1)
			if body == validScenario {
				t.Fatalf("replacement %q not found", tt.from)
			}
			_, err := load(t, map[string]string{"s.yaml": body})
			var lerr *scenario.LoadError
			if !errors.As(err, &lerr) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

func TestLoadRejectsDuplicateIDs(t *testing.T) {
	_, err := load(t, map[string]string{"a.yaml": validScenario, "b.yaml": validScenario})
	if err == nil || !strings.Contains(err.Error(), `scenarios/b.yaml:1: id: id "token-success" already used at scenarios/a.yaml:1`) {
		t.Errorf("err = %v", err)
	}
}

func TestLoadFragments(t *testing.T) {
	body := strings.Replace(validScenario, "path: /x", "path: /x\n      json: ${fragments.order}", 1)
	lib, err := load(t, map[string]string{"s.yaml": body, "_fragments.yaml": "fragments:\n  order: {a: 1}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if lib.Fragments["order"] == nil {
		t.Error("fragment not loaded")
	}
	_, err = load(t, map[string]string{"s.yaml": body})
	if err == nil || !strings.Contains(err.Error(), `unknown fragment "order"`) {
		t.Errorf("missing fragment not reported: %v", err)
	}
}

// controlScenario is a scenario of one control step, for the vocabulary's
// load-time checks; the step starts on line 7.
const controlScenario = `id: c
title: c
requirement: The sandbox MUST obey.
api: gitlab
needs: [control, faults, scripts]
steps:
  - control:
`

// TestLoadChecksControlSteps proves that every action of the vocabulary
// has its arguments checked when loading, with the line to fix.
func TestLoadChecksControlSteps(t *testing.T) {
	tests := []struct {
		name, step string
		want       string // "" = loads
	}{
		{"fault with a rule", "      action: fault.add\n      with: {id: r1, match: {method: POST, path: /oauth/token}, effect: {status: 503, retryAfter: 30s}, schedule: {times: 2}}", ""},
		{"fault with a transport effect", "      action: fault.add\n      with: {effect: {transport: reset}}", ""},
		{"fault durations in seconds", "      action: fault.add\n      with: {effect: {status: 429, retryAfter: 30, latency: {fixed: 0.2}}}", ""},
		{"fault with a bad duration", "      action: fault.add\n      with: {effect: {latency: {fixed: soon}}}", "steps[0].control.with.effect.latency.fixed"},
		{"fault with latency from a variable", "      action: fault.add\n      with: {effect: {latency: {uniform: {min: 1s, max: \"${each.max}\"}}}}", "unknown each key"},
		{"unknown action", "      action: fault.inject\n      with: {}", `scenarios/c.yaml:8: steps[0].control.action: unknown control action "fault.inject" (known: callout.drop, callout.fire, callouts.list, callouts.pending, clock.advance, fault.add,`},
		{"fault without effect", "      action: fault.add\n      with: {id: r1}", "scenarios/c.yaml:9: steps[0].control.with: missing property 'effect'"},
		{"fault with a misspelt key", "      action: fault.add\n      with: {efect: {status: 503}}", "steps[0].control.with.efect: additional properties 'efect' not allowed"},
		{"fault with an unknown transport", "      action: fault.add\n      with: {effect: {transport: explode}}", "steps[0].control.with.effect.transport: value must be one of"},
		{"fault with a bad status", "      action: fault.add\n      with: {effect: {status: 999}}", "steps[0].control.with.effect.status"},
		{"delete without id", "      action: fault.delete\n      with: {rule: r1}", "steps[0].control.with: missing property 'id'"},
		{"reset takes no arguments", "      action: reset\n      with: {hard: true}", "steps[0].control.with: this action takes no arguments"},
		{"seed must be a number", "      action: faults.seed\n      with: {seed: seven}", "steps[0].control.with.seed"},
		{"fire needs a notification id", "      action: callout.fire\n      with: {id: n1}", "missing property 'notificationId'"},
		{"journal query with an unknown parameter", "      action: journal.query\n      with: {partner: p, colour: blue}", "steps[0].control.with.colour: additional properties"},
		{"script with a misspelt effect", "      action: script.add\n      with: {partner: p, externalSubscriptionId: e, zuora: {declined: card}}", "steps[0].control.with.zuora.declined: additional properties"},
		{"script for an order names its partner", "      action: script.add\n      with: {externalSubscriptionId: e, zuora: {decline: card}}", "steps[0].control.with: "},
		{"script for an order", "      action: script.add\n      with: {id: s1, partner: p, externalSubscriptionId: e, callout: {failTimes: 2, delay: 30m}}", ""},
		{"clock advance needs a duration", "      action: clock.advance\n      with: {by: soon}", "steps[0].control.with.by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"c.yaml": controlScenario + tt.step + "\n"})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error:\n%v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

// TestLoadChecksCapabilities proves that an action needs its capability
// declared, so that the scenario is skipped where the action cannot run.
func TestLoadChecksCapabilities(t *testing.T) {
	body := strings.Replace(controlScenario, "needs: [control, faults, scripts]", "needs: [control]", 1) +
		"      action: fault.add\n      with: {effect: {status: 503}}\n"
	_, err := load(t, map[string]string{"c.yaml": body})
	if err == nil || !strings.Contains(err.Error(), `scenarios/c.yaml:8: steps[0].control.action: fault.add needs "faults" in needs`) {
		t.Errorf("err = %v", err)
	}
}

// TestLoadChecksTransportExpectations proves that a transport fault can
// only be expected of a request, alone, and spelt right.
func TestLoadChecksTransportExpectations(t *testing.T) {
	const request = "steps:\n  - request: {method: GET, path: /x, timeout: 200ms}\n"
	head := "id: t\ntitle: t\nrequirement: The target MUST answer.\napi: gitlab\n"
	tests := []struct {
		name, steps, want string
	}{
		{"alone passes", request + "    expect: {transport: timeout}\n", ""},
		{"unknown kind", request + "    expect: {transport: explosion}\n", "scenarios/t.yaml:7: steps[0].expect.transport: value must be one of 'reset', 'eof', 'malformed', 'truncated', 'timeout'"},
		{"with a status", request + "    expect: {transport: reset, status: 200}\n", "scenarios/t.yaml:7: steps[0].expect.status: cannot be combined with transport"},
		{"with a capture", request + "    expect: {transport: reset}\n    capture: {x: {json: a}}\n", "scenarios/t.yaml:8: steps[0].capture: a step that expects a transport fault has no response to capture from"},
		{"in a poll", "steps:\n  - poll: {request: {method: GET, path: /x}, until: {transport: eof}, timeout: 1s}\n", "steps[0].poll.until.transport: a poll waits for an answer"},
		{"bad timeout", "steps:\n  - request: {method: GET, path: /x, timeout: soon}\n", "scenarios/t.yaml:6: steps[0].request.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"t.yaml": head + tt.steps})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error:\n%v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

// TestSchemaListsTheVocabulary keeps the schema's action enum and needs
// enum equal to the Go tables, so editors and the loader agree.
func TestSchemaListsTheVocabulary(t *testing.T) {
	var doc struct {
		Properties struct {
			Needs struct {
				Items struct {
					Enum []string `json:"enum"`
				} `json:"items"`
			} `json:"needs"`
		} `json:"properties"`
		Defs struct {
			Control struct {
				Properties struct {
					Action struct {
						Enum []string `json:"enum"`
					} `json:"action"`
				} `json:"properties"`
			} `json:"control"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(scenario.SchemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(slices.Values(doc.Defs.Control.Properties.Action.Enum)); !slices.Equal(got, scenario.AllControlActionNames()) {
		t.Errorf("schema actions %v, Go actions %v", got, scenario.AllControlActionNames())
	}
	if got := doc.Properties.Needs.Items.Enum; !slices.Equal(got, scenario.Capabilities()) {
		t.Errorf("schema needs %v, Go capabilities %v", got, scenario.Capabilities())
	}
}
