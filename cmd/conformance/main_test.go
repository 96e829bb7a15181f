package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fakeportal"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// needingCapabilities counts the library's scenarios that a label filter
// selects and that need some capability, so tests follow the library as
// it grows.
func needingCapabilities(t *testing.T, filter string) int {
	t.Helper()
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range lib.Scenarios {
		if sc.API == scenario.APIGitLab && len(sc.Needs) > 0 && match(sc.AllLabels()) {
			n++
		}
	}
	return n
}

// runCmd runs the command in-process and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	err := run(context.Background(), args, environ, &stdout, &stderr)
	return reportExit(err, &stderr), stdout.String(), stderr.String()
}

func fake(t *testing.T, opts ...fakeportal.Option) string {
	t.Helper()
	srv := httptest.NewServer(fakeportal.New(opts...).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		want     int
		inOutput string
	}{
		{"conforming target passes", func(t *testing.T) []string { return []string{"--target", fake(t)} }, exitPass, "0 failed"},
		{"defect fails", func(t *testing.T) []string {
			return []string{"--target", fake(t, fakeportal.WithDefects(fakeportal.LeakBetweenPartners))}
		}, exitFail, "[isolation-other-partner-not-found] A partner reading a subscription created by another partner MUST get 404"},
		{"unknown flag is a usage error", func(t *testing.T) []string { return []string{"--nope"} }, exitUsage, "flag provided but not defined"},
		{"bad label filter is a usage error", func(t *testing.T) []string { return []string{"--list", "--label-filter", "a &&"} }, exitUsage, "--label-filter"},
		{"missing credentials without discovery", func(t *testing.T) []string { return []string{"--target", fake(t, fakeportal.WithoutControl())} }, exitUsage, "missing configuration: credentials.create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, tt.args(t)...)
			if code != tt.want || !strings.Contains(stdout+stderr, tt.inOutput) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
		})
	}
}

func TestUnreachableTargetExits3WithinSeconds(t *testing.T) {
	// A listener that accepts nothing: connections hang, as with a dead host.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, url := range []string{"http://" + l.Addr().String(), closedPortURL(t)} {
		start := time.Now()
		code, _, stderr := runCmd(t, nil, "--target", url, "--probe-timeout", "1s")
		if code != exitUnreachable || time.Since(start) > 5*time.Second || !strings.Contains(stderr, "target unreachable") {
			t.Errorf("%s: exit %d after %s: %s", url, code, time.Since(start), stderr)
		}
	}
}

func closedPortURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestListPrintsEveryScenario(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "--list")
	if code != exitPass {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"create-missing-field/customer.contact.email  [create, validation, errors]",
		"token-expiry  [auth, token, clock, cap:control]",
		"A bearer token MUST be rejected with 401 invalid_token",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--list output lacks %q", want)
		}
	}
	code, stdout, _ = runCmd(t, nil, "--list", "--api", "gitlab", "--label-filter", "cap:control")
	if want := needingCapabilities(t, "cap:control"); code != exitPass || strings.Count(stdout, "cap:control") != want {
		t.Errorf("label filter: exit %d\n%s", code, stdout)
	}
}

func TestBrokenScenarioIsRejectedWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	broken := "id: broken\ntitle: t\nrequirement: It MUST work.\napi: gitlab\nsteps:\n  - request:\n      method: FETCH\n      path: /x\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, nil, "--scenarios", dir, "--list")
	want := filepath.Join(dir, "broken.yaml") + ":7: steps[0].request.method"
	if code != exitUsage || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant %q", code, stderr, want)
	}
}

func TestConfigLayering(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "target.yaml")
	cfg := "target: http://file.example\nproductId: from-file\ncredentials:\n  create: {clientId: a, clientSecret: b, scope: s, tradingPartnerId: tp}\n"
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CONFORMANCE_TARGET": "http://env.example", "CONFORMANCE_PRODUCT_ID": "from-env", "CONFORMANCE_CREATE_CLIENT_SECRET": "env-secret"}
	tests := []struct {
		name string
		args []string
		url  string
	}{
		{"env overrides file", []string{"--config", file}, "http://env.example"},
		{"flag overrides env", []string{"--config", file, "--target", "http://flag.example"}, "http://flag.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			var environ []string
			for k, v := range env {
				environ = append(environ, k+"="+v)
			}
			got, err := loadConfig(o, environ)
			if err != nil {
				t.Fatal(err)
			}
			c := got.Credentials["create"]
			if got.URL != tt.url || got.ProductID != "from-env" || c.ClientID != "a" || c.ClientSecret != "env-secret" {
				t.Errorf("config = %+v", got)
			}
		})
	}
}

func TestReports(t *testing.T) {
	dir := t.TempDir()
	junit, jsonFile, html := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	url := fake(t, fakeportal.WithDefects(fakeportal.NoCacheControl))
	code, _, _ := runCmd(t, map[string]string{"CONFORMANCE_CAPABILITIES": "none"}, "--target", url, "--label-filter", "!lifecycle || cap:control", "--junit", junit, "--json", jsonFile, "--html", html)
	if code != exitFail {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Skipped *struct{} `xml:"skipped"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	raw, _ := os.ReadFile(junit)
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JUnit is not XML: %v", err)
	}
	suite := doc.Suites[0]
	failed, skipped := 0, 0
	for _, c := range suite.Cases {
		if c.Skipped != nil {
			skipped++
		}
		if c.Failure != nil {
			failed++
			if !strings.Contains(c.Failure.Message, "MUST") {
				t.Errorf("failure message lacks the requirement: %q", c.Failure.Message)
			}
		}
	}
	if want := needingCapabilities(t, "!lifecycle || cap:control"); skipped != want {
		t.Errorf("want the %d scenarios needing the sandbox marked <skipped/>, got %d", want, skipped)
	}
	if len(suite.Cases) != suite.Tests || suite.Tests < 40 || failed == 0 || failed != suite.Failures {
		t.Errorf("junit: %d cases, tests=%d failures=%d counted=%d", len(suite.Cases), suite.Tests, suite.Failures, failed)
	}
	var report struct{ Summary struct{ Total, Failed int } }
	raw, _ = os.ReadFile(jsonFile)
	if err := json.Unmarshal(raw, &report); err != nil || report.Summary.Failed != failed {
		t.Errorf("json report: %v %+v", err, report.Summary)
	}
	page, _ := os.ReadFile(html)
	for _, leak := range []string{"fake-create-secret", "fake-second-secret"} {
		if bytes.Contains(page, []byte(leak)) || bytes.Contains(raw, []byte(leak)) {
			t.Errorf("a report shows the secret %q", leak)
		}
	}
	if !bytes.Contains(page, []byte("Bearer ****")) || bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("http://cdn")) {
		t.Error("HTML report is not self-contained with masked tokens")
	}
}
