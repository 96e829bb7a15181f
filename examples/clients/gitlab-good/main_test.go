package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
)

// runGood runs the client against sb and returns its exit code and output.
func runGood(t *testing.T, sb *clienttest.Sandbox, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, clienttest.Getenv(sb.GitLabEnv()), &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	return code, stdout.String()
}

// Three orders are placed with one token and each polled until
// Provisioned; the sandbox's clock moves ten times as fast as the wall's.
func TestGoodClientProvisionsEveryOrder(t *testing.T) {
	sb := clienttest.New(t)
	sb.Tick(100*time.Millisecond, time.Second)
	code, out := runGood(t, sb)
	if code != 0 {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	lines := clienttest.Lines(out)
	if len(lines) != 3 {
		t.Fatalf("want a line per order, got:\n%s", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, "Provisioned A-S") {
			t.Errorf("not provisioned: %s", l)
		}
	}
	if n := sb.Count("path=/oauth/token"); n != 1 {
		t.Errorf("%d token requests, want 1 (reused)", n)
	}
}

// The challenges a certification suite arms: a 503 with Retry-After on
// the token, a create cut short after the portal got it, a 429 on a
// status read and a token refused mid-run. The client survives each
// without a duplicate order.
func TestGoodClientSurvivesFaults(t *testing.T) {
	sb := clienttest.New(t)
	sb.Tick(100*time.Millisecond, time.Second)
	sb.Fault(`{"match":{"method":"POST","path":"/oauth/token"},"effect":{"status":503,"retryAfter":"1s"},"schedule":{"times":1}}`)
	sb.Fault(`{"match":{"method":"POST","path":"/api/v1/marketplace/subscriptions"},"effect":{"transport":"truncated"},"schedule":{"times":1}}`)
	sb.Fault(`{"match":{"method":"GET","path":"/api/v1/marketplace/subscriptions/*"},"effect":{"status":429,"retryAfter":"1s"},"schedule":{"times":1}}`)
	sb.RevokeOnceOrdered("demo-partner", 3)
	start := time.Now()
	code, out := runGood(t, sb)
	if code != 0 {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("finished in %v: the 1 s Retry-After was not honoured", took)
	}
	var subs struct{ Total int }
	sb.Control(http.MethodGet, "/gitlab/subscriptions?partner=demo-partner", nil, &subs)
	if subs.Total != 3 {
		t.Errorf("%d subscriptions for 3 orders", subs.Total)
	}
	// The 503, the token, and one more after the 401 invalid_token.
	if n := sb.Count("path=/oauth/token"); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
	creates := sb.Journal(clienttest.Query("method", "POST", "path", "/api/v1/marketplace/subscriptions"))
	// One retried after the cut answer; one more when a create in
	// flight met the revoked token (timing decides).
	if len(creates) < 4 || len(creates) > 5 {
		t.Errorf("%d creates, want 4 or 5 (the cut one retried, maybe one refused token)", len(creates))
	}
}

// A Failed order is reported; the exit code says so only with
// -fail-on-failed.
func TestGoodClientReportsFailed(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"printed", nil, 0},
		{"fail-on-failed", []string{"-fail-on-failed"}, exitFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := clienttest.New(t)
			sb.Tick(100*time.Millisecond, time.Second)
			code, out := runGood(t, sb, append([]string{"-orders", "1", "-id-prefix", "sandbox-zuora-decline"}, tc.args...)...)
			if code != tc.want || !strings.Contains(out, "Failed (") {
				t.Errorf("exit %d, output %q", code, out)
			}
		})
	}
}

// A missing variable is named, and nothing is sent.
func TestGoodClientNamesMissingEnvironment(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), nil, func(string) string { return "" }, &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "GITLAB_CLIENT_ID") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
