package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
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
