package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fakeportal"
)

// writeFile writes a file in a test directory and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUnknownNamesAreUsageErrors proves that no misspelt or empty name,
// in a flag, a CONFORMANCE_* variable or the --config file, quietly
// selects or configures less: each is exit 2 with the known names. The
// target is a conforming fake, so a name that slipped through would make
// the run pass instead.
func TestUnknownNamesAreUsageErrors(t *testing.T) {
	url := fake(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"misspelt capability", map[string]string{"CONFORMANCE_CAPABILITIES": "contrl"}, []string{"--target", url},
			[]string{`unknown capability "contrl" (did you mean "control"?); known: control, clock, faults, scripts, magic, webhooks, tokens`}},
		{"capability in another case", map[string]string{"CONFORMANCE_CAPABILITIES": "Control"}, []string{"--target", url}, []string{`did you mean "control"`}},
		{"capability listed twice", map[string]string{"CONFORMANCE_CAPABILITIES": "control,control"}, []string{"--list"}, []string{`"control" listed twice`}},
		{"empty capability in a list", map[string]string{"CONFORMANCE_CAPABILITIES": "control,"}, []string{"--list"}, []string{"empty capability name"}},
		{"none with others", map[string]string{"CONFORMANCE_CAPABILITIES": "none,control"}, []string{"--list"}, []string{`"none" declares no capability`}},
		{"misspelt variable", map[string]string{"CONFORMANCE_CAPABILITES": "none"}, []string{"--list"},
			[]string{`unknown environment variable "CONFORMANCE_CAPABILITES" (did you mean "CONFORMANCE_CAPABILITIES"?)`}},
		{"empty variable", map[string]string{"CONFORMANCE_TARGET": ""}, []string{"--list"}, []string{"CONFORMANCE_TARGET is set but empty"}},
		{"misspelt label", nil, []string{"--list", "--label-filter", "tokn"}, []string{`--label-filter: unknown label "tokn" (did you mean "token"?)`}},
		{"misspelt label beside a good one", nil, []string{"--list", "--label-filter", "token || creat"}, []string{`unknown label "creat"`}},
		{"regular expression matching no label", nil, []string{"--list", "--label-filter", "/^zzz/"}, []string{"/^zzz/ matches no label"}},
		{"unknown label set value", nil, []string{"--list", "--label-filter", "cap: containsAny {contrl}"}, []string{`unknown value of label set cap "contrl"`}},
		{"misspelt scenario id", nil, []string{"--list", "--id", "token-sucess"}, []string{`--id: unknown scenario id "token-sucess" (did you mean "token-success"`}},
		{"repeated flag", nil, []string{"--list", "--target", "http://a.example", "--target", "http://b.example"}, []string{"-target: given more than once"}},
		{"empty flag value", nil, []string{"--list", "--label-filter", ""}, []string{"-label-filter: empty value"}},
		{"zero timeout", nil, []string{"--list", "--timeout", "0s"}, []string{"--timeout 0s: want a duration above 0"}},
		{"one file for two reports", nil, []string{"--list", "--junit", "r.out", "--json", "r.out"}, []string{"--junit and --json name the same file"}},
		{"config with a misspelt capability", nil, []string{"--list", "--config", writeFile(t, "c.yaml", "target: http://x\ncapabilities:\n  - control\n  - contrl\n")},
			[]string{`line 4: capabilities[1]: unknown capability "contrl"`}},
		{"config with an unknown credential", nil, []string{"--list", "--config", writeFile(t, "c.yaml", "credentials:\n  creat: {clientId: a}\n")},
			[]string{`line 2: credentials.creat: unknown credential "creat" (did you mean "create"?)`}},
		{"config with an unknown key", nil, []string{"--list", "--config", writeFile(t, "c.yaml", "target: http://x\nprodutId: p\n")}, []string{"produtId"}},
		{"config with an empty value", nil, []string{"--list", "--config", writeFile(t, "c.yaml", "target: \"\"\n")}, []string{"line 1: target: empty value"}},
		{"empty config file", nil, []string{"--list", "--config", writeFile(t, "c.yaml", "# nothing\n")}, []string{"the file holds no settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

// TestNothingCheckedIsNotAPass proves that a run in which every selected
// scenario was skipped, or that selected none, fails unless a flag says
// that is intended.
func TestNothingCheckedIsNotAPass(t *testing.T) {
	url := fake(t)
	none := map[string]string{"CONFORMANCE_CAPABILITIES": "none"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"every scenario skipped", none, []string{"--target", url, "--label-filter", "cap:control"}, exitUsage, "were skipped (target lacks capability"},
		{"every scenario skipped, allowed", none, []string{"--target", url, "--label-filter", "cap:control", "--allow-all-skipped"}, exitPass, "0 passed"},
		{"some skipped", none, []string{"--target", url, "--label-filter", "token"}, exitPass, "skipped"},
		{"nothing selected", nil, []string{"--target", url, "--id", "token-success", "--label-filter", "create"}, exitUsage, "no scenario matches --label-filter \"create\" and --id token-success"},
		{"nothing selected, allowed", nil, []string{"--target", url, "--id", "token-success", "--label-filter", "create", "--allow-empty"}, exitPass, "no scenario selected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d (want %d), output lacks %q\nstdout:\n%s\nstderr:\n%s", code, tt.code, tt.want, stdout, stderr)
			}
		})
	}
}

// TestRunByID proves --id runs exactly the scenarios named: one id, a
// data-driven family, or a list.
func TestRunByID(t *testing.T) {
	url := fake(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--id", "token-success"}, "1 scenarios: 1 passed"},
		{[]string{"--id", "token-success,scope-read-can-read"}, "2 scenarios: 2 passed"},
		{[]string{"--id", "token-success", "--id", "scope-read-can-read"}, "2 scenarios: 2 passed"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, append([]string{"--target", url}, tt.args...)...)
			if code != exitPass || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, stdout lacks %q\n%s\n%s", code, tt.want, stdout, stderr)
			}
		})
	}
	code, stdout, _ := runCmd(t, nil, "--list", "--id", "create-missing-field")
	if code != exitPass || strings.Count(stdout, "create-missing-field/") < 2 || strings.Contains(stdout, "token-success") {
		t.Errorf("family: exit %d\n%s", code, stdout)
	}
}

// TestDiscoveryFailureIsNotCapabilityAbsent proves that a sandbox whose
// control API fails is an error, not a target without the capability
// (which would skip every scenario needing it and pass).
func TestDiscoveryFailureIsNotCapabilityAbsent(t *testing.T) {
	portal := fakeportal.New().Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_sandbox/health" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		portal.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	code, _, stderr := runCmd(t, nil, "--target", srv.URL)
	if code != exitUnreachable || !strings.Contains(stderr, "discovering capabilities: GET "+srv.URL+"/_sandbox/health: status 500") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}
