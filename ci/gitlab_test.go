package ci_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// gitlabJob is a job of a pipeline as GitLab's runner reads it, once
// extends: is resolved.
type gitlabJob struct {
	Image     string
	Variables map[string]string
	Services  []struct {
		Name      string
		Alias     string
		Variables map[string]string
	}
	BeforeScript []string `yaml:"before_script"`
	Script       []string
	Artifacts    struct {
		When    string
		Paths   []string
		Reports struct {
			JUnit string `yaml:"junit"`
		}
	}
}

// resolveJob merges a job onto the hidden job it extends, as GitLab does:
// maps merge key by key (deeply), anything else the extending job's value
// replaces.
func resolveJob(t *testing.T, pipeline map[string]any, name string) gitlabJob {
	t.Helper()
	job, ok := pipeline[name].(map[string]any)
	if !ok {
		t.Fatalf("no job %s", name)
	}
	if base, ok := job["extends"].(string); ok {
		parent, ok := pipeline[base].(map[string]any)
		if !ok {
			t.Fatalf("%s extends %s, which is not in the pipeline", name, base)
		}
		job = mergeMaps(parent, job)
		delete(job, "extends")
	}
	data, err := yaml.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var j gitlabJob
	if err := yaml.UnmarshalWithOptions(data, &j, yaml.Strict()); err != nil {
		t.Fatalf("job %s: %v", name, err)
	}
	return j
}

func mergeMaps(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeMaps(b, o)
		} else {
			out[k] = v
		}
	}
	return out
}

// loadPipeline reads a partner's .gitlab-ci.yml whose include: local:
// names our template, with the template's jobs in it.
func loadPipeline(t *testing.T, partner string) map[string]any {
	t.Helper()
	pipeline := map[string]any{}
	if err := yaml.Unmarshal([]byte(partner), &pipeline); err != nil {
		t.Fatal(err)
	}
	includes, _ := pipeline["include"].([]any)
	for _, inc := range includes {
		local, _ := inc.(map[string]any)["local"].(string)
		data, err := os.ReadFile(filepath.Join(repoRoot(t), local))
		if err != nil {
			t.Fatalf("include %s: %v", local, err)
		}
		tmpl := map[string]any{}
		if err := yaml.Unmarshal(data, &tmpl); err != nil {
			t.Fatalf("%s: %v", local, err)
		}
		for k, v := range tmpl {
			if _, taken := pipeline[k]; !taken {
				pipeline[k] = v
			}
		}
	}
	delete(pipeline, "include")
	return pipeline
}

// startService starts the job's sandbox service: from its image when
// MPS_TEST_SERVICE_IMAGE names one (testcontainers/ci-docker.sh sets it, so
// CI runs this for real), else the binary with the service's variables. It
// returns the URL the alias stands for.
func startService(t *testing.T, job gitlabJob, vars map[string]string) string {
	t.Helper()
	if len(job.Services) != 1 || job.Services[0].Alias != "sandbox" {
		t.Fatalf("services = %+v, want one aliased sandbox", job.Services)
	}
	svc := job.Services[0]
	env := []string{}
	for k, v := range svc.Variables {
		env = append(env, k+"="+expandVars(v, vars))
	}
	if image := os.Getenv("MPS_TEST_SERVICE_IMAGE"); image != "" {
		if name := expandVars(svc.Name, vars); name != image {
			t.Fatalf("service image %q, want %q (MPS_SANDBOX_IMAGE)", name, image)
		}
		args := []string{"run", "-d", "-p", "127.0.0.1::8080"}
		for _, e := range env {
			args = append(args, "-e", e)
		}
		out, err := exec.Command("docker", append(args, image)...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker run: %v\n%s", err, out)
		}
		id := strings.TrimSpace(string(out))
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
		port, err := exec.Command("docker", "port", id, "8080/tcp").Output()
		if err != nil {
			t.Fatal(err)
		}
		hostPort := strings.SplitN(strings.TrimSpace(string(port)), "\n", 2)[0]
		return "http://127.0.0.1:" + hostPort[strings.LastIndex(hostPort, ":")+1:]
	}
	sandbox, _ := released(t)
	addr := freeAddr(t)
	cmd := exec.Command(sandbox)
	// The service listens on every interface in its container; here, on
	// loopback.
	cmd.Env = append(append(os.Environ(), env...), "SANDBOX_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return "http://" + addr
}

func expandVars(s string, vars map[string]string) string {
	return os.Expand(s, func(k string) string { return vars[k] })
}

// TestGitLabTemplate runs jobs that extend .marketplace-sandbox as GitLab's
// runner would: the service, then before_script and script in one shell
// in the project directory, then the artifacts.
func TestGitLabTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and starts the sandbox")
	}
	sandboxBin, conformanceBin := released(t)
	if img := os.Getenv("MPS_TEST_SERVICE_IMAGE"); img != "" {
		t.Logf("the service runs from the image %s", img)
	} else {
		t.Log("the service runs from the binary (MPS_TEST_SERVICE_IMAGE unset; testcontainers/ci-docker.sh sets it)")
	}
	partner := `
include:
  - local: ci/gitlab/marketplace-sandbox.gitlab-ci.yml
sandbox-conformance:
  extends: .marketplace-sandbox
  variables: {MPS_LABELS: token}
my-tests:
  extends: .marketplace-sandbox
  variables: {MPS_MODE: command, MPS_CLOCK: real, MPS_COMMAND: 'test -n "$SANDBOX_URL" && exit 4', MPS_REPORTS_DIR: out}
certify-my-client:
  extends: .marketplace-sandbox
  variables: {MPS_MODE: certify, MPS_COMMAND: "true"}
`
	pipeline := loadPipeline(t, partner)
	for _, tc := range []struct {
		job       string
		wantExit  int
		wantJUnit int // failures in the JUnit report; -1: none written
	}{
		{"sandbox-conformance", 0, 0},
		{"my-tests", 4, -1},
		{"certify-my-client", 1, 7},
	} {
		t.Run(tc.job, func(t *testing.T) {
			job := resolveJob(t, pipeline, tc.job)
			vars := map[string]string{}
			for k, v := range job.Variables {
				vars[k] = v
			}
			if img := os.Getenv("MPS_TEST_SERVICE_IMAGE"); img != "" {
				vars["MPS_SANDBOX_IMAGE"] = img
			}
			vars["MPS_SANDBOX_URL"] = startService(t, job, vars)
			// A checkout of this repository and released binaries: this
			// machine cannot download the module at MPS_VERSION.
			vars["MPS_SOURCE"], vars["MPS_SANDBOX_BIN"], vars["MPS_CONFORMANCE_BIN"] = repoRoot(t), sandboxBin, conformanceBin
			project := t.TempDir()
			script := strings.Join(append(append([]string{}, job.BeforeScript...), job.Script...), "\n")
			cmd := exec.Command("sh", "-e", "-c", script)
			cmd.Dir = project
			cmd.Env = append(os.Environ(), "CI=true", "GITLAB_CI=true", "TMPDIR="+t.TempDir())
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			t.Logf("job log:\n%s", out)
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantExit {
				t.Fatalf("the job exited %d, want %d", code, tc.wantExit)
			}
			if job.Artifacts.When != "always" {
				t.Errorf("artifacts.when = %q: a failed job would keep no reports", job.Artifacts.When)
			}
			for _, p := range job.Artifacts.Paths {
				if _, err := os.Stat(filepath.Join(project, expandVars(p, vars))); err != nil {
					t.Errorf("artifacts.paths %s: %v", p, err)
				}
			}
			junit := filepath.Join(project, expandVars(job.Artifacts.Reports.JUnit, vars))
			if tc.wantJUnit < 0 {
				if _, err := os.Stat(junit); err == nil {
					t.Errorf("%s written by a plain command", junit)
				}
				return
			}
			requireReports(t, filepath.Dir(junit), tc.wantJUnit)
		})
	}
}
