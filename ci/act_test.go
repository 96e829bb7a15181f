package ci_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestActionWithAct runs action.yml through nektos/act in self-hosted mode
// (-P ubuntu-latest=-self-hosted: steps run on this machine, no image),
// offline, with ci/act/ standing in for actions/upload-artifact and
// actions/setup-go, whose repositories act cannot clone here (act's own
// checkout copies the local repository). It is the
// second opinion on TestAction's runner: a real implementation of the
// runner's expressions, GITHUB_ENV and composite outputs. MPS_ACT names the
// act binary (testcontainers/ci-docker.sh installs one from the Go module
// proxy); without it the test skips.
func TestActionWithAct(t *testing.T) {
	act := os.Getenv("MPS_ACT")
	if act == "" {
		if p, err := exec.LookPath("act"); err == nil {
			act = p
		}
	}
	if act == "" {
		t.Skip("act is not installed (go install github.com/nektos/act@v0.2.89, or set MPS_ACT; testcontainers/ci-docker.sh does)")
	}
	sandboxBin, conformanceBin := released(t)
	root := repoRoot(t)
	for _, tc := range []struct {
		name     string
		with     string
		wantFail bool
	}{
		{"the conformance pack passes", "marketplaces: gitlab\n          labels: token", false},
		{"a failing command fails the job", "mode: command\n          command: exit 3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// act runs the workflow of a repository: one holding the
			// action (a copy of ours) and a workflow that uses it.
			repo := t.TempDir()
			copyFile(t, filepath.Join(root, "action.yml"), filepath.Join(repo, "action.yml"))
			copyFile(t, filepath.Join(root, "ci", "run-sandbox.sh"), filepath.Join(repo, "ci", "run-sandbox.sh"))
			copyFile(t, filepath.Join(root, "go.mod"), filepath.Join(repo, "go.mod"))
			workflow := fmt.Sprintf(`on: push
jobs:
  sandbox:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./
        id: sandbox
        with:
          addr: %s
          sandbox-bin: %s
          conformance-bin: %s
          %s
      - if: always()
        run: echo "exit-code=${{ steps.sandbox.outputs.exit-code }}"
`, freeAddr(t), sandboxBin, conformanceBin, tc.with)
			writeFile(t, filepath.Join(repo, ".github", "workflows", "sandbox.yml"), workflow)
			// act's checkout copies the repository's working tree: it must
			// be a git repository.
			for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "act"}} {
				if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			cmd := exec.Command(act, "push", "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode",
				"--local-repository", "actions/upload-artifact@v4="+filepath.Join(root, "ci", "act", "upload-artifact"),
				"--local-repository", "actions/setup-go@v5="+filepath.Join(root, "ci", "act", "setup-go"),
				"-C", repo)
			out, err := cmd.CombinedOutput()
			t.Logf("act:\n%s", out)
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if failed := err != nil; failed != tc.wantFail {
				t.Fatalf("act failed=%v, want %v", failed, tc.wantFail)
			}
			if !strings.Contains(string(out), "would upload marketplace-sandbox-reports") {
				t.Error("the reports were not uploaded")
			}
			if !strings.Contains(string(out), "sandbox stopped") {
				t.Error("the sandbox was not stopped")
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}
