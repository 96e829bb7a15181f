package ci_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository: the action's own checkout, as
// github.action_path is for `uses: marketplace-sandbox/marketplace-sandbox@ref`.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// released builds the two binaries once, standing in for a release's
// downloads (inputs sandbox-bin and conformance-bin).
func released(t *testing.T) (sandbox, conformance string) {
	t.Helper()
	releaseOnce.Do(func() {
		releaseDir, releaseErr = os.MkdirTemp("", "mps-release-")
		if releaseErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", releaseDir+"/", "./cmd/sandbox", "./cmd/conformance")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return filepath.Join(releaseDir, "sandbox"), filepath.Join(releaseDir, "conformance")
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// uploads records what upload-artifact would have uploaded.
type upload struct{ name, path string }

// newActionRun prepares a job on a fresh runner: a workspace, RUNNER_TEMP,
// and stand-ins for the two actions action.yml uses.
func newActionRun(t *testing.T, inputs map[string]string, uploads *[]upload) *actionRun {
	t.Helper()
	root := repoRoot(t)
	r := &actionRun{
		action:     loadAction(t, filepath.Join(root, "action.yml")),
		actionPath: root,
		workspace:  t.TempDir(),
		inputs:     inputs,
		env: map[string]string{
			"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "CI": "true", "GITHUB_ACTIONS": "true",
			"RUNNER_TEMP": t.TempDir(), "GOCACHE": goEnv(t, "GOCACHE"), "GOPATH": goEnv(t, "GOPATH"),
			"GOFLAGS": os.Getenv("GOFLAGS"), "GOTOOLCHAIN": os.Getenv("GOTOOLCHAIN"),
		},
		outputs: map[string]map[string]string{},
	}
	r.standIns = map[string]standIn{
		"actions/setup-go": func(t *testing.T, with map[string]string, _ string) error {
			if _, err := os.Stat(with["go-version-file"]); err != nil {
				return fmt.Errorf("go-version-file: %v", err)
			}
			return nil
		},
		"actions/upload-artifact": func(t *testing.T, with map[string]string, workspace string) error {
			if with["name"] == "" {
				return fmt.Errorf("no artifact name")
			}
			p := with["path"]
			if !filepath.IsAbs(p) {
				p = filepath.Join(workspace, p)
			}
			entries, err := os.ReadDir(p)
			if err != nil || len(entries) == 0 {
				return fmt.Errorf("path %s: nothing to upload (%v)", with["path"], err)
			}
			*uploads = append(*uploads, upload{with["name"], p})
			return nil
		},
	}
	return r
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestActionInputs: every input is documented, used by a step, and listed
// in docs/ci.md; every input a step reads is declared; no run: script
// splices an expression in.
func TestActionInputs(t *testing.T) {
	root := repoRoot(t)
	a := loadAction(t, filepath.Join(root, "action.yml"))
	raw, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile(filepath.Join(root, "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(string(raw), -1) {
		used[m[1]] = true
	}
	for name, in := range a.Inputs {
		t.Run(name, func(t *testing.T) {
			if strings.TrimSpace(in.Description) == "" {
				t.Error("no description")
			}
			if !used[name] {
				t.Error("declared but no step reads it")
			}
			if !strings.Contains(string(docs), "| `"+name+"` |") {
				t.Error("not in the inputs table of docs/ci.md")
			}
		})
	}
	// Inputs reach scripts through env:, never spliced into run: (a
	// command input holding quotes or $(…) would become the script).
	for _, step := range a.Runs.Steps {
		if strings.Contains(step.Run, "${{") {
			t.Errorf("step %q: an expression in run:; pass it through env:", step.Name)
		}
	}
	for name := range used {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("a step reads inputs.%s, which is not declared", name)
		}
	}
}

// TestAction runs the action's steps as a job would, for each mode.
func TestAction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and starts the sandbox")
	}
	sandboxBin, conformanceBin := released(t)
	binaries := func(in map[string]string) map[string]string {
		in["sandbox-bin"], in["conformance-bin"] = sandboxBin, conformanceBin
		return in
	}
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		// wantExit is the code the job fails with (0: it passes).
		wantExit int
		// wantJUnit: a JUnit report with this many failures (-1: none written).
		wantJUnit int
		// wantUploaded are files the artifact holds.
		wantUploaded []string
	}{
		{
			name:         "the conformance pack against the sandbox passes",
			inputs:       binaries(map[string]string{"marketplaces": "gitlab", "labels": "token", "artifact-name": "conformance"}),
			wantJUnit:    0,
			wantUploaded: []string{"junit.xml", "report.json", "report.html", "sandbox.log"},
		},
		{
			name:         "a failing command fails the job with its code, after the upload",
			inputs:       binaries(map[string]string{"mode": "command", "command": `test -n "$SANDBOX_URL" && exit 3`}),
			wantExit:     3,
			wantJUnit:    -1,
			wantUploaded: []string{"sandbox.log"},
		},
		{
			name:         "certify-client: a client that does nothing is not certified",
			inputs:       binaries(map[string]string{"mode": "certify", "marketplaces": "gitlab", "command": "true", "reports-dir": "out/certify"}),
			wantExit:     1,
			wantJUnit:    7, // every verdict of gitlab-client: not exercised
			wantUploaded: []string{"junit.xml", "report.json", "report.html", "sandbox.log"},
		},
		{
			// No binaries given: the install step builds the action's
			// checkout with Go (setup-go is skipped: Go is there).
			name: "built from the action's checkout, a passing command passes",
			inputs: map[string]string{"mode": "command", "upload": "false",
				"command": `"$MPS_WORK_DIR/bin/sandbox" healthcheck --addr "${SANDBOX_URL#http://}"`},
			wantJUnit: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var uploads []upload
			tc.inputs["addr"] = freeAddr(t)
			r := newActionRun(t, tc.inputs, &uploads)
			var pid int
			r.afterStep = func(step actionStep) {
				if step.ID == "start" {
					data, _ := os.ReadFile(filepath.Join(r.env["MPS_WORK_DIR"], "sandbox.pid"))
					pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
				}
			}
			r.runAction(t)

			if pid == 0 {
				t.Fatal("the start step left no sandbox.pid in MPS_WORK_DIR (written to GITHUB_ENV by install)")
			}
			requireStopped(t, pid, tc.inputs["addr"])
			if got := r.exitCode; r.failed != (tc.wantExit != 0) || got != tc.wantExit {
				t.Fatalf("job failed=%v with exit code %d; want %d (steps run: %q, skipped: %q)", r.failed, got, tc.wantExit, r.ran, r.skipped)
			}
			outs := r.actionOutputs(t)
			if outs["exit-code"] != strconv.Itoa(tc.wantExit) || outs["sandbox-url"] != "http://"+tc.inputs["addr"] {
				t.Errorf("outputs = %v", outs)
			}
			if tc.inputs["upload"] == "false" {
				if len(uploads) != 0 {
					t.Errorf("upload: false, but uploaded %v", uploads)
				}
				return
			}
			if len(uploads) != 1 {
				t.Fatalf("uploads = %v, want one artifact", uploads)
			}
			for _, f := range tc.wantUploaded {
				if fi, err := os.Stat(filepath.Join(uploads[0].path, f)); err != nil || fi.Size() == 0 {
					t.Errorf("artifact %s: %s missing or empty (%v)", uploads[0].name, f, err)
				}
			}
			if tc.wantJUnit >= 0 {
				requireReports(t, uploads[0].path, tc.wantJUnit)
			}
		})
	}
}

// requireStopped: the sandbox process is gone (or a zombie nobody reaped
// yet) and its port is closed.
func requireStopped(t *testing.T, pid int, addr string) {
	t.Helper()
	if err := syscall.Kill(pid, 0); err == nil {
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if f := strings.Fields(string(stat)); len(f) < 3 || f[2] != "Z" {
			t.Errorf("the sandbox (pid %d) still runs after the action", pid)
		}
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the action", addr)
	}
}

// requireReports: the JUnit report parses with the failures wanted, the
// JSON report parses.
func requireReports(t *testing.T, dir string, wantFailures int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	tests, failures := junit.Tests, junit.Failures
	if tests == 0 {
		for _, s := range junit.Suites {
			tests, failures = tests+s.Tests, failures+s.Failures
		}
	}
	if tests == 0 || failures != wantFailures {
		t.Errorf("junit.xml: %d tests, %d failures; want some tests and %d failures", tests, failures, wantFailures)
	}
	var report any
	data, err = os.ReadFile(filepath.Join(dir, "report.json"))
	if err == nil {
		err = json.Unmarshal(data, &report)
	}
	if err != nil {
		t.Errorf("report.json: %v", err)
	}
}

// TestMain removes the binaries released() built.
func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}
