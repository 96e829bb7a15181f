package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// records reads every line of out as a JSON log record, failing on one
// that is not.
func records(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("not a JSON log record: %q", line)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

func findRecord(recs []map[string]any, msg string) map[string]any {
	for _, r := range recs {
		if r["msg"] == msg {
			return r
		}
	}
	return nil
}

// TestJSONLogsAreJSONEveryLine: with log_format json every line the
// binary writes while it serves, refuses its configuration or fails at
// start is a JSON record, so a log pipeline that parses the container's
// output loses nothing; the banner, for people, is left out.
func TestJSONLogsAreJSONEveryLine(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	failures := []struct {
		name     string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"a refused configuration, with a misspelt variable", map[string]string{"SANDBOX_CLOCK": "bogus", "SANDBOX_CLOKC": "frozen"}, 2, `clock: "bogus" is not real or frozen`},
		{"unreadable fixtures", map[string]string{"SANDBOX_FIXTURES": "/no/such/fixtures.yaml"}, 2, "reading fixtures"},
		{"a port already taken", map[string]string{"SANDBOX_ADDR": taken.Addr().String()}, 1, "listening on " + taken.Addr().String()},
	}
	for _, c := range failures {
		t.Run(c.name, func(t *testing.T) {
			c.env["SANDBOX_LOG_FORMAT"] = "json"
			stdout, stderr, code := runCommand(t, c.env)
			recs := records(t, stderr)
			failed := findRecord(recs, "sandbox failed")
			if code != c.wantCode || stdout != "" || failed == nil || failed["level"] != "ERROR" ||
				!strings.Contains(failed["err"].(string), c.wantErr) || failed["exit_status"] != float64(c.wantCode) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
		})
	}
	t.Run("a misspelt variable's warning", func(t *testing.T) {
		_, stderr, _ := runCommand(t, map[string]string{"SANDBOX_LOG_FORMAT": "json", "SANDBOX_CLOCK": "bogus", "SANDBOX_CLOKC": "frozen"})
		var warned map[string]any
		for _, r := range records(t, stderr) {
			if r["variable"] == "SANDBOX_CLOKC" {
				warned = r
			}
		}
		if warned == nil || warned["level"] != "WARN" || warned["closest"] != "SANDBOX_CLOCK" {
			t.Errorf("no warning record:\n%s", stderr)
		}
	})
	t.Run("serving, then stopping", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout bytes.Buffer
		stderr := &syncBuffer{}
		done := make(chan error, 1)
		env := settings.Environment{"SANDBOX_LOG_FORMAT": "json", "SANDBOX_LOG_LEVEL": "debug"}
		go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env, &stdout, stderr) }()
		url := waitForRecord(t, stderr, done)
		if resp, err := http.Get(url + "/_sandbox/nowhere"); err == nil {
			resp.Body.Close()
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		recs := records(t, stderr.String())
		for _, msg := range []string{"sandbox listening", "request", "sandbox stopped"} {
			if findRecord(recs, msg) == nil {
				t.Errorf("no %q record:\n%s", msg, stderr)
			}
		}
		if stdout.Len() != 0 {
			t.Errorf("the banner was printed with JSON logs:\n%s", stdout.String())
		}
	})
}

// waitForRecord polls the log for the "sandbox listening" record, within
// a deadline, and returns the URL it names.
func waitForRecord(t *testing.T, stderr *syncBuffer, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(stderr.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "sandbox listening" {
				return rec["url"].(string)
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s", err, stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no listening record within 10s:\n%s", stderr)
	return ""
}
