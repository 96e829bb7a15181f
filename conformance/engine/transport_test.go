package engine_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// misbehave answers every request by breaking the connection in one of the
// ways the sandbox's transport faults do.
func misbehave(kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if kind == "http" {
			jsonAnswer(200, `{"ok":true}`)(w, r, "")
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		switch kind {
		case "reset":
			_ = conn.(*net.TCPConn).SetLinger(0)
		case "malformed":
			_, _ = io.WriteString(conn, "SANDBOX GARBAGE\r\n\r\n")
		case "not-json":
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"status\": <html>\n")
		case "truncated":
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"status\":")
		case "hang":
			_, _ = io.Copy(io.Discard, buf) // until the client gives up
		}
	})
}

// TestTransportFaultsCanBeExpected runs a request step expecting each
// kind of transport fault against a server that causes one, so every
// pairing of expectation and behaviour is judged.
func TestTransportFaultsCanBeExpected(t *testing.T) {
	tests := []struct {
		server, expect string
		want           engine.Outcome
		message        string
	}{
		{"reset", "reset", engine.Pass, ""},
		{"eof", "eof", engine.Pass, ""},
		{"malformed", "malformed", engine.Pass, ""},
		{"not-json", "malformed", engine.Pass, ""},
		{"truncated", "truncated", engine.Pass, ""},
		{"hang", "timeout", engine.Pass, ""},
		{"eof", "reset", engine.Fail, "transport: want reset, got eof ("},
		{"http", "reset", engine.Fail, `transport: want reset, got an HTTP answer: status 200, body {"ok":true}`},
		{"hang", "truncated", engine.Fail, "transport: want truncated, got timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.server+" expecting "+tt.expect, func(t *testing.T) {
			started := time.Now()
			res := runInline(t, misbehave(tt.server), "steps:\n  - request: {method: POST, path: /x, json: {a: 1}, timeout: 200ms}\n    expect: {transport: "+tt.expect+"}\n", nil)
			if res.Outcome != tt.want || !strings.Contains(res.Message(), tt.message) {
				t.Fatalf("outcome %s, want %s with %q:\n%s", res.Outcome, tt.want, tt.message, res.Message())
			}
			if d := time.Since(started); d > 3*time.Second {
				t.Errorf("took %s: the request's timeout was not applied", d)
			}
			if ex := res.Steps[0].Exchanges[0]; tt.server != "http" && tt.server != "not-json" && !strings.HasPrefix(ex.Error, tt.expect+": ") && tt.want == engine.Pass {
				t.Errorf("exchange error %q does not name the fault", ex.Error)
			}
		})
	}
}

// TestUnexpectedTransportFaultsFail: a step that wants an answer and gets
// a broken connection fails, naming what happened, rather than ending the
// run as if the target were unreachable.
func TestUnexpectedTransportFaultsFail(t *testing.T) {
	for _, kind := range []string{"reset", "eof", "malformed", "truncated"} {
		t.Run(kind, func(t *testing.T) {
			res := runInline(t, misbehave(kind), "steps:\n  - request: {method: GET, path: /x}\n    expect: {status: 200}\n", nil)
			want := "transport: want an HTTP answer, got " + kind
			if res.Outcome != engine.Fail || !strings.Contains(res.Message(), want) {
				t.Fatalf("outcome %s, want fail with %q:\n%s", res.Outcome, want, res.Message())
			}
		})
	}
	t.Run("a token the target cannot hand out", func(t *testing.T) {
		res := runInline(t, misbehave("reset"), "steps:\n  - request: {method: GET, path: /x, auth: {token: create}}\n    expect: {status: 200}\n", nil)
		if res.Outcome != engine.Fail || !strings.Contains(res.Message(), `could not obtain a token for credential "create"`) {
			t.Fatalf("%s", res.Message())
		}
	})
}
