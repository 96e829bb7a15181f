package scenario_test

import (
	"errors"
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
