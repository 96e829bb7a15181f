package sandbox

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// MaxHeaderBytes is the most the request line and headers of one request
// may take; cmd/sandbox gives it to its http.Server, and Listener names it
// in the 431 it answers past it.
const MaxHeaderBytes = 64 << 10

// Listener wraps ln so that the few answers Go's HTTP server writes by
// itself, before any handler runs, come in the sandbox's JSON envelope
// with an X-Request-Id like every other answer: a request line or header
// it cannot parse (a bad % escape in the path, a malformed Host), headers
// over MaxHeaderBytes, an unsupported Transfer-Encoding, an Expect other
// than 100-continue. net/http writes those as text/plain straight to the
// connection and offers no hook for them, so the wrapper recognises them
// by their fixed shape (docs/gitlab.md, "Every answer in the envelope").
// Serve with http.Server.Serve(s.Listener(ln)); httptest servers take it
// as their Listener.
func (s *Sandbox) Listener(ln net.Listener) net.Listener {
	return &envelopeListener{Listener: ln, log: s.log}
}

type envelopeListener struct {
	net.Listener
	log *slog.Logger
}

func (l *envelopeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &envelopeConn{Conn: c, log: l.log}, nil
}

// envelopeConn rewrites, on their way out, the answers net/http writes
// without a handler. Every other write passes through untouched.
type envelopeConn struct {
	net.Conn
	log *slog.Logger
}

// NetConn is the connection underneath, as *tls.Conn offers it: the
// reset fault sets SO_LINGER on the socket itself.
func (c *envelopeConn) NetConn() net.Conn { return c.Conn }

func (c *envelopeConn) Write(b []byte) (int, error) {
	ans, ok := recogniseServerAnswer(b)
	if !ok {
		return c.Conn.Write(b)
	}
	id := requestid.New()
	c.log.Warn("request refused by the HTTP layer", "status", ans.status, "reason", ans.reason,
		"remote", c.RemoteAddr().String(), "request_id", id)
	if _, err := c.Conn.Write(ans.render(id)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// netHTTPErrorHeaders is what net/http puts between the status line and
// the body of the answers it writes itself (server.go, conn.serve). A
// handler's answer can never have it there: the handler's own headers
// (X-Request-Id at least) come first, and Date follows.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// serverAnswer is an answer net/http wrote by itself.
type serverAnswer struct {
	proto  string
	status int
	reason string
}

// recogniseServerAnswer recognises b as one of net/http's own answers: a status
// line followed by netHTTPErrorHeaders and a one-line body, or the bare
// 417 it sends for an Expect it does not know (no handler ran, so no
// X-Request-Id).
func recogniseServerAnswer(b []byte) (serverAnswer, bool) {
	if len(b) < 16 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return serverAnswer{}, false
	}
	line, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok || len(line) < 12 || len(line) > 128 {
		return serverAnswer{}, false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 400 {
		return serverAnswer{}, false
	}
	ans := serverAnswer{proto: string(line[:8]), status: status}
	if body, ok := bytes.CutPrefix(b[len(line):], []byte(netHTTPErrorHeaders)); ok && !bytes.Contains(body, []byte("\r\n")) {
		// The body repeats the status line's text, then ": reason" for
		// a badRequestError.
		_, ans.reason, _ = strings.Cut(string(body), ": ")
		return ans, true
	}
	if status == http.StatusExpectationFailed {
		head, _, _ := bytes.Cut(rest, []byte("\r\n\r\n"))
		if !bytes.Contains(bytes.ToLower(head), []byte("x-request-id:")) {
			return ans, true
		}
	}
	return serverAnswer{}, false
}

// transportRefusals are the statuses, codes and texts the sandbox answers
// for net/http's own refusals, by the status net/http chose. An input the
// sandbox cannot read is the client's fault, so it is always a 4xx: RFC
// 9112 suggests 501 for an unknown transfer coding and 505 for a version,
// but a CI gate that counts 5xx as the sandbox's bugs must not see them.
var transportRefusals = map[int]struct {
	status            int
	code, description string
}{
	http.StatusBadRequest: {http.StatusBadRequest, "bad_request", "The request is not valid HTTP/1.1: its request line or a header could not be parsed" +
		" (for example a malformed % escape in the path, a space in a header name, or a missing or malformed Host header)."},
	http.StatusRequestHeaderFieldsTooLarge: {http.StatusRequestHeaderFieldsTooLarge, "request_header_fields_too_large",
		"The request line and headers together exceed " + strconv.Itoa(MaxHeaderBytes>>10) + " KiB."},
	http.StatusNotImplemented: {http.StatusBadRequest, "unsupported_transfer_encoding",
		"The request's Transfer-Encoding is not supported: send the body chunked or with a Content-Length."},
	http.StatusExpectationFailed: {http.StatusExpectationFailed, "expectation_failed", "The only Expect the sandbox understands is 100-continue."},
	http.StatusHTTPVersionNotSupported: {http.StatusBadRequest, "http_version_not_supported",
		"The sandbox speaks HTTP/1.0 and HTTP/1.1 on this port."},
}

// render writes the answer in the envelope; the connection is closed
// after it, as net/http does.
func (a serverAnswer) render(id string) []byte {
	known, ok := transportRefusals[a.status]
	if !ok {
		known.status, known.code, known.description = http.StatusBadRequest, "bad_request", "The request could not be read: "+http.StatusText(a.status)+"."
	}
	desc := known.description
	if a.reason != "" && a.status != http.StatusNotImplemented && a.status != http.StatusHTTPVersionNotSupported {
		desc = strings.TrimSuffix(desc, ".") + ": " + a.reason + "."
	}
	body, _ := json.Marshal(controlErrorBody{Error: known.code, Description: desc, RequestID: id})
	body = append(body, '\n')
	var out bytes.Buffer
	out.WriteString(a.proto + " " + strconv.Itoa(known.status) + " " + http.StatusText(known.status) + "\r\n")
	out.WriteString("Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n")
	out.WriteString(requestid.Header + ": " + id + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	out.Write(body)
	return out.Bytes()
}
