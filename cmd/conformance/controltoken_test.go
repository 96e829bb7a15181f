package main

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const controlToken = "conformance-control-token-0123456789"

// A sandbox with a control token: the runner sends it with control
// requests only (a fault scenario passes, and so does one whose requests
// must carry no credentials), and says what is wrong without it.
func TestConformanceWithAControlToken(t *testing.T) {
	base := sandboxtest.New(t, sandboxtest.WithControlToken(controlToken)).URL
	ids := []string{"--id", "fault-seed-repeatable,resource-auth,fault-status-transport"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want int
		says string
	}{
		{"by flag", nil, []string{"--control-token", controlToken}, exitPass, "0 failed"},
		{"by environment", map[string]string{"CONFORMANCE_CONTROL_TOKEN": controlToken}, nil, exitPass, "0 failed"},
		{"without it", nil, nil, exitUsage, "--control-token"},
		{"a wrong one", nil, []string{"--control-token", strings.Repeat("w", 32)}, exitUsage, "refused the control token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.env, append(append([]string{"--target", base, "--quiet"}, ids...), tc.args...)...)
			if code != tc.want || !strings.Contains(stdout+stderr, tc.says) {
				t.Fatalf("exit %d, want %d naming %q\n%s\n%s", code, tc.want, tc.says, stdout, stderr)
			}
		})
	}
}

func TestCertifyClientWithAControlToken(t *testing.T) {
	base := sandboxtest.New(t, sandboxtest.WithControlToken(controlToken)).URL
	t.Run("the command gets the token for the session's control API", func(t *testing.T) {
		code, _, stderr := runCmd(t, map[string]string{"CONFORMANCE_CONTROL_TOKEN": controlToken}, "certify-client", "--sandbox", base, "--api", "gitlab",
			"--clock", "frozen", "--", "sh", "-c",
			`test "$SANDBOX_CONTROL_TOKEN" = "`+controlToken+`" && curl -sf -X POST -H "Authorization: Bearer $SANDBOX_CONTROL_TOKEN" -H "Content-Type: application/json" -d '{"by":"1m"}' "$SANDBOX_CONTROL_URL/clock/advance" >/dev/null`)
		if code != exitFail { // the command passed; nothing was exercised
			t.Errorf("exit %d, want 1 (command ok, verdicts not exercised)\n%s", code, stderr)
		}
	})
	t.Run("without it", func(t *testing.T) {
		code, _, stderr := runCmd(t, nil, "certify-client", "--sandbox", base, "--api", "gitlab", "--", "true")
		if code != exitUsage || !strings.Contains(stderr, "--control-token") {
			t.Errorf("exit %d %s", code, stderr)
		}
	})
}
