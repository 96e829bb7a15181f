package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestCertifyClientUsage: every mistake on certify-client's command line
// is exit 2 with a message naming it, before any sandbox is called.
func TestCertifyClientUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no sandbox", []string{"--api", "gitlab", "--", "true"}, "--sandbox is required"},
		{"not a URL", []string{"--sandbox", "localhost:8080", "--api", "gitlab", "--", "true"}, "not an http(s) URL"},
		{"no api", []string{"--sandbox", "http://127.0.0.1:1", "--", "true"}, "--api is required"},
		{"unknown api", []string{"--sandbox", "http://127.0.0.1:1", "--api", "aws", "--", "true"}, `"aws"`},
		{"no command", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab"}, "name the partner's command"},
		{"bad clock", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab", "--clock", "slow", "--", "true"}, `"slow"`},
		{"webhook for gitlab", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab", "--webhook-url", "http://x", "--", "true"}, "--api microsoft"},
		{"negative seed", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab", "--seed", "-3", "--", "true"}, "--seed"},
		{"unknown flag", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab", "--sute", "x", "--", "true"}, "sute"},
		{"flag twice", []string{"--sandbox", "http://127.0.0.1:1", "--api", "gitlab", "--api", "microsoft", "--", "true"}, "api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, append([]string{"certify-client"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr %q; want 2 naming %q", code, stderr, tc.says)
			}
		})
	}
}

// TestCertifyClientUnreachable: no sandbox at the address, or something
// that is not a ready sandbox, is exit 3, and the command never runs.
func TestCertifyClientUnreachable(t *testing.T) {
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	marker := t.TempDir() + "/ran"
	for _, url := range []string{"http://127.0.0.1:1", notReady.URL} {
		code, _, stderr := runCmd(t, nil, "certify-client", "--sandbox", url, "--api", "gitlab", "--", "touch", marker)
		if code != exitUnreachable || !strings.Contains(stderr, url) {
			t.Errorf("%s: exit %d, stderr %q; want 3 naming the sandbox", url, code, stderr)
		}
	}
	if fileExists(marker) {
		t.Error("the partner's command ran without a sandbox")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// hostEnv is this process's environment, for partner commands (go run
// needs its caches).
func hostEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// certifySandbox serves a sandbox for certify-client, until the test ends.
func certifySandbox(t *testing.T) string {
	t.Helper()
	return sandboxtest.New(t).URL
}

// TestCertifyClientExitCodes: the good reference client is certified (0)
// with reports written; a command that does nothing gets "not exercised"
// for every verdict and exit 1, never a pass; a failing command is 4 and
// its verdicts are still written; the command sees the session's
// environment.
func TestCertifyClientExitCodes(t *testing.T) {
	base := certifySandbox(t)
	dir := t.TempDir()
	t.Run("the good client", func(t *testing.T) {
		t.Parallel()
		junit := filepath.Join(dir, "good.xml")
		code, stdout, stderr := runCmd(t, hostEnv(), "certify-client", "--sandbox", base, "--api", "gitlab", "--junit", junit,
			"--", "go", "run", "../../examples/clients/gitlab-good")
		if code != exitPass || !strings.Contains(stdout, "7 verdicts: 7 passed") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if raw, err := os.ReadFile(junit); err != nil || !strings.Contains(string(raw), `failures="0"`) || !strings.Contains(string(raw), "create-idempotent") {
			t.Errorf("JUnit report: %v\n%s", err, raw)
		}
	})
	t.Run("a command that does nothing", func(t *testing.T) {
		t.Parallel()
		jsonPath := filepath.Join(dir, "idle.json")
		code, stdout, _ := runCmd(t, nil, "certify-client", "--sandbox", base, "--api", "gitlab", "--json", jsonPath, "--", "true")
		if code != exitFail || !strings.Contains(stdout, "0 passed, 0 failed, 7 not exercised") || strings.Contains(stdout, "PASS ") {
			t.Errorf("exit %d\n%s", code, stdout)
		}
		var run struct{ Summary struct{ Passed, Failed int } }
		raw, _ := os.ReadFile(jsonPath)
		if err := json.Unmarshal(raw, &run); err != nil || run.Summary.Failed != 7 || run.Summary.Passed != 1 {
			t.Errorf("JSON report (the command passes, the 7 must verdicts fail): %+v %v", run.Summary, err)
		}
	})
	t.Run("a failing command", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCmd(t, nil, "certify-client", "--sandbox", base, "--api", "microsoft", "--", "sh", "-c", "exit 7")
		if code != exitCommandFailed || !strings.Contains(stderr, "exit status 7") || !strings.Contains(stdout, "verdicts") {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("the session's environment", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := runCmd(t, nil, "certify-client", "--sandbox", base, "--api", "microsoft", "--", "sh", "-c",
			`test -n "$AZURE_TENANT_ID" && test -n "$AZURE_CLIENT_SECRET" && test "$SANDBOX_BASE_URL" = "`+base+`" && curl -sf "$SANDBOX_SESSION_URL" >/dev/null`)
		if code != exitFail { // the command passed; nothing was exercised
			t.Errorf("exit %d, want 1 (command ok, verdicts not exercised)\n%s", code, stderr)
		}
	})
	t.Run("an unknown suite", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := runCmd(t, nil, "certify-client", "--sandbox", base, "--api", "gitlab", "--suite", "microsoft-publisher", "--", "true")
		if code != exitUsage || !strings.Contains(stderr, "microsoft") {
			t.Errorf("exit %d %s", code, stderr)
		}
	})
}
