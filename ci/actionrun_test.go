package ci_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// action is action.yml, as much of it as GitHub's runner reads for a
// composite action.
type action struct {
	Name        string
	Description string
	Author      string
	Branding    map[string]string
	Inputs      map[string]actionInput
	Outputs     map[string]struct {
		Description string
		Value       string
	}
	Runs struct {
		Using string
		Steps []actionStep
	}
}

type actionInput struct {
	Description string
	Default     string
	Required    bool
}

type actionStep struct {
	Name  string
	ID    string
	If    string
	Shell string
	Run   string
	Uses  string
	Env   map[string]string
	With  map[string]string
}

func loadAction(t *testing.T, path string) action {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.UnmarshalWithOptions(data, &a, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

// standIn replaces a `uses:` step: it checks the step's with: (after
// substitution) against the workspace and records what it would have done.
type standIn func(t *testing.T, with map[string]string, workspace string) error

// actionRun is one run of the action in a job: the runner's state between
// steps.
type actionRun struct {
	action     action
	actionPath string
	workspace  string
	inputs     map[string]string
	// env is the job's environment, with what steps wrote to GITHUB_ENV.
	env     map[string]string
	path    []string // GITHUB_PATH entries, newest first
	outputs map[string]map[string]string
	failed  bool
	// exitCode is that of the last step that failed.
	exitCode int
	// ran names the steps that ran, skipped those that did not.
	ran, skipped []string
	standIns     map[string]standIn
	// afterStep lets a test look at the runner between steps.
	afterStep func(step actionStep)
}

func (r *actionRun) ctx() exprContext {
	return exprContext{failed: r.failed, lookup: func(name string) (string, bool) {
		switch {
		case name == "github.action_path":
			return r.actionPath, true
		case name == "github.workspace":
			return r.workspace, true
		case name == "runner.temp":
			return r.env["RUNNER_TEMP"], true
		case strings.HasPrefix(name, "inputs."):
			in, ok := r.action.Inputs[strings.TrimPrefix(name, "inputs.")]
			if !ok {
				return "", false
			}
			if v, given := r.inputs[strings.TrimPrefix(name, "inputs.")]; given {
				return v, true
			}
			return in.Default, true
		case strings.HasPrefix(name, "steps."):
			parts := strings.SplitN(name, ".", 4)
			if len(parts) != 4 || parts[2] != "outputs" {
				return "", false
			}
			return r.outputs[parts[1]][parts[3]], true // an unset output is ''
		case strings.HasPrefix(name, "env."):
			return r.env[strings.TrimPrefix(name, "env.")], true
		}
		return "", false
	}}
}

// runAction runs every step of the action in order, as the runner does.
func (r *actionRun) runAction(t *testing.T) {
	t.Helper()
	for name := range r.inputs {
		if _, ok := r.action.Inputs[name]; !ok {
			t.Fatalf("input %q is not declared in action.yml", name)
		}
	}
	for i, step := range r.action.Runs.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, step.Name)
		ok, err := stepRuns(step.If, r.ctx())
		if err != nil {
			t.Fatalf("%s: if: %v", label, err)
		}
		if !ok {
			r.skipped = append(r.skipped, step.Name)
			continue
		}
		r.ran = append(r.ran, step.Name)
		if step.Uses != "" {
			r.useStep(t, label, step)
		} else {
			r.runStep(t, label, step)
		}
		if r.afterStep != nil {
			r.afterStep(step)
		}
	}
}

func (r *actionRun) useStep(t *testing.T, label string, step actionStep) {
	t.Helper()
	action, _, _ := strings.Cut(step.Uses, "@")
	stand, ok := r.standIns[action]
	if !ok {
		t.Fatalf("%s: uses %s, which this test cannot stand in for", label, step.Uses)
	}
	with := map[string]string{}
	for k, v := range step.With {
		x, err := expand(v, r.ctx())
		if err != nil {
			t.Fatalf("%s: with.%s: %v", label, k, err)
		}
		with[k] = x
	}
	if err := stand(t, with, r.workspace); err != nil {
		t.Errorf("%s (%s): %v", label, step.Uses, err)
		r.failed = true
	}
}

// runStep runs a run: step as the runner does for `shell: bash`: the
// script, expressions substituted, in a file run by
// `bash --noprofile --norc -eo pipefail`, with fresh GITHUB_OUTPUT and
// GITHUB_ENV files read back afterwards.
func (r *actionRun) runStep(t *testing.T, label string, step actionStep) {
	t.Helper()
	if step.Shell != "bash" {
		t.Fatalf("%s: shell %q: a composite step must say shell: bash (the runner refuses a run: step without shell)", label, step.Shell)
	}
	script, err := expand(step.Run, r.ctx())
	if err != nil {
		t.Fatalf("%s: run: %v", label, err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "script.sh"} {
		files[name] = filepath.Join(dir, name)
	}
	if err := os.WriteFile(files["script.sh"], []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"} {
		if err := os.WriteFile(files[name], nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{}
	for k, v := range r.env {
		env[k] = v
	}
	for k, v := range step.Env {
		x, err := expand(v, r.ctx())
		if err != nil {
			t.Fatalf("%s: env.%s: %v", label, k, err)
		}
		env[k] = x
	}
	env["GITHUB_ACTION_PATH"] = r.actionPath
	env["GITHUB_OUTPUT"], env["GITHUB_ENV"], env["GITHUB_PATH"] = files["GITHUB_OUTPUT"], files["GITHUB_ENV"], files["GITHUB_PATH"]
	if len(r.path) > 0 {
		env["PATH"] = strings.Join(r.path, ":") + ":" + env["PATH"]
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", files["script.sh"])
	cmd.Dir = r.workspace
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", label, out)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.failed, r.exitCode = true, exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", label, err)
	}
	if step.ID != "" {
		r.outputs[step.ID] = readCommandFile(t, files["GITHUB_OUTPUT"])
	}
	for k, v := range readCommandFile(t, files["GITHUB_ENV"]) {
		r.env[k] = v
	}
	if data, _ := os.ReadFile(files["GITHUB_PATH"]); len(data) > 0 {
		for _, p := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			r.path = append([]string{p}, r.path...)
		}
	}
}

// readCommandFile reads a GITHUB_OUTPUT or GITHUB_ENV file: NAME=value
// lines, and NAME<<DELIMITER … DELIMITER for values of several lines.
func readCommandFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var lines []string
			for sc.Scan() && sc.Text() != delim {
				lines = append(lines, sc.Text())
			}
			vars[name] = strings.Join(lines, "\n")
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok {
			vars[name] = value
		} else if strings.TrimSpace(line) != "" {
			t.Fatalf("%s: line %q is neither NAME=value nor NAME<<DELIMITER", path, line)
		}
	}
	return vars
}

// actionOutputs evaluates the action's outputs: once all steps have run.
func (r *actionRun) actionOutputs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, o := range r.action.Outputs {
		v, err := expand(o.Value, r.ctx())
		if err != nil {
			t.Fatalf("output %s: %v", name, err)
		}
		out[name] = v
	}
	return out
}
