package scenario_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// TestLoadReportsEveryProblemAtOnce proves that one load finds every
// problem of every file, whatever its kind, and lists them sorted by
// file and line: an author fixes them in one round, not one kind at a time.
func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	head := func(id string) string {
		return "id: " + id + "\ntitle: t\nrequirement: It MUST work.\napi: gitlab\n"
	}
	files := map[string]string{
		"_fragments.yaml": "fragments:\n  order: {a: 1}\n  loop: ${fragments.loop2}\n  loop2: ${fragments.loop}\n  bad: ${creds.admin.clientId}\n",
		"a-syntax.yaml":   head("a") + "steps: [\n",
		"b-schema-and-refs.yaml": head("b") + "steps:\n  - request: {method: FETCH, path: /x}\n    expect: {status: 200}\n" +
			"  - request: {method: GET, path: \"/y/${vars.later}\", auth: {bearer: \"${fragments.nope}\"}}\n    expect: {status: 200}\n" +
			"  - request: {method: GET, path: /z}\n    capture: {later: {json: id}}\n",
		"c-ok.yaml":        head("c") + "steps:\n  - request: {method: GET, path: /x}\n    expect: {status: 200}\n",
		"c-dup.yaml":       head("c") + "steps:\n  - request: {method: GET, path: /x}\n    expect: {status: 200}\n",
		"d-action.yaml":    head("d") + "needs: [control]\nsteps:\n  - control: {action: clock.rewind}\n",
		"e-nothing.yaml":   head("e") + "steps:\n  - request: {method: GET, path: /x}\n",
		"f-cred.yaml":      head("f") + "steps:\n  - request: {method: GET, path: /x, auth: {token: creat}}\n    expect: {status: 200}\n",
		"g-token.yaml":     head("g") + "steps:\n  - token: {credential: admin}\n  - token: {credential: create}\n    lifecycle: {graph: gitlab.subscription, path: status}\n",
		"h-expect.yaml":    head("h") + "steps:\n  - request: {method: GET, path: /x}\n    expect: {}\n",
		"i-transport.yaml": head("i") + "steps:\n  - token: {credential: create}\n    expect: {transport: reset}\n",
	}
	_, err := load(t, files)
	var lerr *scenario.LoadError
	if !errors.As(err, &lerr) {
		t.Fatalf("err = %v, want a *LoadError", err)
	}
	wants := []string{
		"scenarios/_fragments.yaml:3: fragments.loop: fragments refer to each other in a cycle",
		"scenarios/_fragments.yaml:5: fragments.bad: want ${creds.",
		"scenarios/a-syntax.yaml:5: ",
		"scenarios/b-schema-and-refs.yaml:6: steps[0].request.method: value must be one of",
		`scenarios/b-schema-and-refs.yaml:8: steps[1].request.auth.bearer: unknown fragment "nope"`,
		`scenarios/b-schema-and-refs.yaml:8: steps[1].request.path: variable "later" is used before the step that captures it`,
		`scenarios/c-ok.yaml:1: id: id "c" already used at scenarios/c-dup.yaml:1`,
		`scenarios/d-action.yaml:7: steps[0].control.action: unknown control action "clock.rewind"`,
		"scenarios/e-nothing.yaml:5: steps: no step checks anything",
		`scenarios/f-cred.yaml:6: steps[0].request.auth.token: unknown credential "creat" (did you mean "create"?`,
		"scenarios/g-token.yaml:6: steps[0].token.credential: value must be one of",
		"scenarios/g-token.yaml:8: steps[1].lifecycle: a token step's answer has no subscription status",
		"scenarios/h-expect.yaml:7: steps[0].expect: minProperties: got 0, want 1",
		"scenarios/i-transport.yaml:7: steps[0].expect.transport: only a request step can expect a transport fault",
	}
	msg := err.Error()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("problems lack %q", w)
		}
	}
	assertSorted(t, lerr.Problems)
	if t.Failed() {
		t.Logf("problems:\n%s", msg)
	}
}

// assertSorted checks problems are ordered by file, then line, and that
// every one has a file and a line.
func assertSorted(t *testing.T, ps []scenario.Problem) {
	t.Helper()
	for i, p := range ps {
		if p.File == "" || p.Line < 1 {
			t.Errorf("problem without file:line: %+v", p)
		}
		if i > 0 && (ps[i-1].File > p.File || ps[i-1].File == p.File && ps[i-1].Line > p.Line) {
			t.Errorf("not sorted: %s before %s", ps[i-1], p)
		}
	}
}

func TestUnknownNameSuggestsTheClosest(t *testing.T) {
	tests := []struct {
		name  string
		known []string
		want  string
	}{
		{"contrl", scenario.Capabilities(), `unknown capability "contrl" (did you mean "control"?); known: control, clock, faults, scripts, magic, webhooks, tokens`},
		{"Control", scenario.Capabilities(), `(did you mean "control"?)`},
		{"xyz", scenario.Capabilities(), `unknown capability "xyz"; known: control`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &scenario.UnknownNameError{What: "capability", Name: tt.name, Known: tt.known}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestLoadRefusesAliasBombs proves that a few hundred bytes of nested
// YAML aliases are refused at once instead of hanging the loader.
func TestLoadRefusesAliasBombs(t *testing.T) {
	body := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	for i, name := range []string{"b", "c", "d", "e", "f", "g"} {
		prev := string(rune('a' + i))
		body += name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
	}
	done := make(chan error, 1)
	go func() { _, err := load(t, map[string]string{"bomb.yaml": body}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "scenarios/bomb.yaml:2: YAML aliases expand this file beyond") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load hung on an alias bomb")
	}
}
