package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// runCommand runs the sandbox command to its end and returns its output
// and exit status as the binary would exit.
func runCommand(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, settings.Environment(env), &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestHelpListsEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _, code := runCommand(t, nil, args...)
			if code != 0 {
				t.Errorf("exit %d", code)
			}
			for _, c := range commands() {
				if !strings.Contains(out, "\n  "+c.name+" ") || !strings.Contains(out, c.summary) {
					t.Errorf("help lacks the %s command and its line:\n%s", c.name, out)
				}
			}
			for _, flag := range []string{"--config", "--addr", "--shutdown-grace", "--gitlab-token-lifetime"} {
				if !strings.Contains(out, flag) {
					t.Errorf("help lacks %s", flag)
				}
			}
		})
	}
	for _, c := range commands() {
		for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				out, _, code := runCommand(t, nil, args...)
				if code != 0 || !strings.Contains(out, "Usage: sandbox ") || (c.name != "serve" && !strings.Contains(out, c.synopsis)) {
					t.Errorf("exit %d, help:\n%s", code, out)
				}
			})
		}
	}
}

func TestUsageMistakesExitTwoWithTheCommandList(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"nope"}, `unknown command "nope"`},
		{"misspelt command", []string{"helthcheck"}, "did you mean healthcheck?"},
		{"stray argument", []string{"--clock", "frozen", "extra"}, `unexpected argument "extra"`},
		{"stray argument after serve", []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"boolean flag with a separate value", []string{"--journal-control", "false"}, "--flag=false"},
		{"help for an unknown command", []string{"help", "nope"}, `unknown command "nope"`},
		{"help for two commands", []string{"help", "serve", "settings"}, "help takes one command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, nil, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "healthcheck") || !strings.Contains(stderr, "settings") {
				t.Errorf("stderr lacks %q or the command list:\n%s", tc.want, stderr)
			}
		})
	}
	for _, args := range [][]string{{"settings", "extra"}, {"--nope"}, {"healthcheck", "--nope"}, {"--addr", "a", "--addr", "b"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if _, stderr, code := runCommand(t, nil, args...); code != 2 {
				t.Errorf("exit %d, want 2; stderr %s", code, stderr)
			}
		})
	}
}

// TestBadValuesInEveryLayerAreRefusedWithKeyAndLine runs the binary's own
// loading on bad values in the config file, the environment, the flags
// and the fixtures file: each is refused (exit 2), naming the key and,
// for files, the line; all problems come in one report.
func TestBadValuesInEveryLayerAreRefusedWithKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"clock_start: yesterday in the file", nil, []string{"--config", write("a.yaml", "clock: frozen\nclock_start: yesterday\n")},
			[]string{"a.yaml:2:14: clock_start", "RFC 3339"}},
		{"clock_start for a real clock", nil, []string{"--config", write("b.yaml", "clock_start: 2030-01-02T03:04:05Z\n")},
			[]string{"b.yaml:1:1: clock_start", "frozen"}},
		{"unknown nested key", nil, []string{"--config", write("c.yaml", "gitlab:\n  zuora:\n    latncy: 2s\n")},
			[]string{"c.yaml:3:5", "latncy", "did you mean latency"}},
		{"range check in the file names the line", nil, []string{"--config", write("d.yaml", "log_level: info\ngitlab:\n  zuora:\n    callout_attempts: 9\n")},
			[]string{"d.yaml:4:5: gitlab.zuora.callout_attempts: must be 1 to 5"}},
		{"fault rule in the file names the line", nil, []string{"--config", write("e.yaml", "faults:\n  - match: {}\n    effect: {status: 503}\n    when: now\n")},
			[]string{"e.yaml:2:", "faults[0]", `unknown field "when"`}},
		{"empty file", nil, []string{"--config", write("f.yaml", "")}, []string{"f.yaml", "empty"}},
		{"bad time in the environment", map[string]string{"SANDBOX_CLOCK": "frozen", "SANDBOX_CLOCK_START": "yesterday"}, nil,
			[]string{"environment SANDBOX_CLOCK_START: clock_start", "RFC 3339"}},
		{"range check names the variable", map[string]string{"SANDBOX_SHUTDOWN_GRACE": "-1s"}, nil,
			[]string{"environment SANDBOX_SHUTDOWN_GRACE: shutdown_grace"}},
		{"bad flag", nil, []string{"--shutdown-grace", "2h"}, []string{"flag --shutdown-grace: shutdown_grace"}},
		{"every layer at once", map[string]string{"SANDBOX_GITLAB_TOKEN_LIFETIME": "forever"},
			[]string{"--config", write("g.yaml", "addr: 8080\n"), "--unknown-env", "loud"},
			[]string{"g.yaml:1:7: addr", "environment SANDBOX_GITLAB_TOKEN_LIFETIME", "flag --unknown-env: unknown_env"}},
		{"fixtures: unknown nested key", nil, []string{"--fixtures", write("fx1.yaml", "gitlab:\n  partners:\n    - {id: a, client_id: a, client_secret: s, scope: []}\n")},
			[]string{"fx1.yaml:3:", "scope", "did you mean scopes"}},
		{"fixtures: repeated key", nil, []string{"--fixtures", write("fx2.yaml", "gitlab:\n  partners: []\n  partners: []\n")},
			[]string{"fx2.yaml:3:", "partners"}},
		{"fixtures: number for text", nil, []string{"--fixtures", write("fx3.yaml", "gitlab:\n  partners:\n    - {id: a, client_id: 12, client_secret: s}\n")},
			[]string{"fx3.yaml:3:", "gitlab.partners[0].client_id", "quote it"}},
		{"fixtures: a rule after decoding names the line", nil, []string{"--fixtures", write("fx4.yaml", "gitlab:\n  partners:\n    - id: a\n      client_id: a\n      client_secret: ''\n")},
			[]string{"fx4.yaml:5:7: gitlab.partners[0].client_secret is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, tc.env, append([]string{"--addr", "127.0.0.1:0"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestUnknownEnvironmentVariablesAreWarnedAbout(t *testing.T) {
	s := startServer(t, map[string]string{"SANDBOX_GITLAB_TOKEN_LIFETIM": "60s", "SANDBOX_SERVICE_HOST": "10.0.0.9", "SANDBOX_IMAGE": "x"})
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "SANDBOX_GITLAB_TOKEN_LIFETIM is not a setting (closest known: SANDBOX_GITLAB_TOKEN_LIFETIME)") {
		t.Errorf("no warning naming the closest setting:\n%s", log)
	}
	if strings.Contains(log, "SANDBOX_SERVICE_HOST") || strings.Contains(log, "SANDBOX_IMAGE") {
		t.Errorf("a known non-setting variable was warned about:\n%s", log)
	}
	_, stderr, code := runCommand(t, map[string]string{"SANDBOX_UNKNOWN_ENV": "error", "SANDBOX_CLOK": "frozen"}, "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(stderr, "SANDBOX_CLOK is not a setting (closest known: SANDBOX_CLOCK)") {
		t.Errorf("unknown_env: error: exit %d, stderr %s", code, stderr)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--addr", "127.0.0.1:1"}, settings.Environment{"SANDBOX_ADR": "x"}, io.Discard, &out); err == nil ||
		!strings.Contains(out.String(), "SANDBOX_ADR is not a setting") {
		t.Errorf("healthcheck: %v, stderr %s", err, out.String())
	}
}

// TestBannerSaysWhereItListensAndWhereToReachIt: listening on every
// interface, the banner no longer claims loopback, and still gives the
// loopback URL for a client on this host.
func TestBannerSaysWhereItListensAndWhereToReachIt(t *testing.T) {
	cases := []struct {
		addr                     net.Addr
		listen, interfaces, want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "0.0.0.0:8080", "every IPv4 interface", "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "[::]:8080", "every interface, IPv4 and IPv6", "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1:8080", "loopback only", "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 9}, "10.1.2.3:9", "this address only", "http://10.1.2.3:9"},
	}
	for _, tc := range cases {
		t.Run(tc.listen, func(t *testing.T) {
			l := describeListener(tc.addr)
			if l.Listen != tc.listen || !strings.Contains(l.Interfaces, tc.interfaces) || l.URL != tc.want {
				t.Errorf("%+v", l)
			}
		})
	}
	s := startServer(t, nil)
	defer s.stop()
	if !strings.Contains(s.stdout.String(), "listening on 127.0.0.1:") || !strings.Contains(s.stdout.String(), "loopback only") {
		t.Errorf("banner:\n%s", s.stdout)
	}
	if !strings.Contains(s.stderr.String(), "listen=127.0.0.1:") || !strings.Contains(s.stderr.String(), "url=http://127.0.0.1:") {
		t.Errorf("log:\n%s", s.stderr)
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, 0}, {errors.New("listening on x: in use"), 1}, {usagef("unknown flag --x"), 2}} {
		if got := exitCode(tc.err, io.Discard); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
