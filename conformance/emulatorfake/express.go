package emulatorfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"strings"
)

// reply is what a handler decides; write renders it the way Express
// would. Handlers never write to the ResponseWriter themselves.
type reply struct {
	status int
	kind   replyKind
	body   any    // for jsonReply
	text   string // for sendStatusReply, sendTextReply and htmlReply
	header http.Header
}

type replyKind int

const (
	// jsonReply is res.status(n).json(v) or res.send(object).
	jsonReply replyKind = iota
	// sendStatusReply is res.sendStatus(n): the status text as text/plain.
	sendStatusReply
	// sendTextReply is res.status(n).send(string): Express labels a bare
	// string text/html.
	sendTextReply
	// htmlReply is an Express finalhandler page (404 for an unknown path,
	// 500 for a thrown error).
	htmlReply
	// emptyReply is res.status(n).send() with nothing, or send(undefined).
	emptyReply
	// hangReply is no answer at all: the emulator returned without
	// calling res, so the request waits until the client gives up.
	hangReply
	// crashReply stands for a throw the emulator does not catch in an
	// async handler, which ends the Node process: the connection drops.
	crashReply
)

func jsonAnswer(status int, body any) *reply {
	return &reply{status: status, kind: jsonReply, body: body}
}

func statusAnswer(status int) *reply {
	return &reply{status: status, kind: sendStatusReply, text: http.StatusText(status)}
}

func textAnswer(status int, text string) *reply {
	return &reply{status: status, kind: sendTextReply, text: text}
}

func emptyAnswer(status int) *reply { return &reply{status: status, kind: emptyReply} }

// errorResponse is the emulator's ErrorResponse (src/types.ts):
// {code, message, target, details?}.
func errorResponse(status int, code, message, target string) *reply {
	return jsonAnswer(status, map[string]any{"code": code, "message": message, "target": target})
}

// messageOnly is the shape of the emulator's 400s that carry only
// {message}.
func messageOnly(status int, message string) *reply {
	return jsonAnswer(status, map[string]any{"message": message})
}

// cannotRoute is Express's default 404 page for a path no route takes.
func cannotRoute(r *http.Request) *reply {
	return &reply{status: http.StatusNotFound, kind: htmlReply,
		text: "Cannot " + r.Method + " " + html.EscapeString(r.URL.EscapedPath())}
}

// thrown is Express's 500 page for an error thrown in sync middleware. In
// development mode Express prints the stack; the fake prints its first
// line only.
func thrown(message string) *reply {
	return &reply{status: http.StatusInternalServerError, kind: htmlReply, text: html.EscapeString(message)}
}

func (rep *reply) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	switch rep.kind {
	case jsonReply:
		b, err := json.Marshal(rep.body)
		if err != nil {
			b = []byte("{}")
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(rep.status)
		_, _ = w.Write(b)
	case sendStatusReply:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.text)
	case sendTextReply:
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.text)
	case htmlReply:
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(rep.status)
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"+
			"<title>Error</title>\n</head>\n<body>\n<pre>%s</pre>\n</body>\n</html>\n", rep.text)
	case emptyReply:
		w.WriteHeader(rep.status)
	}
}

// newUUID returns a random version 4 UUID, as the emulator makes with
// uuid.v4 for request ids, operation ids and activity ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// readJSONBody imitates express.json() in its default strict mode: with a
// JSON content type, a body that is not a JSON object or array is a 400
// page; any other content type, or no body, gives {}. An array parses but
// carries no fields, so it also gives {}. raw is the body as sent, for the
// one handler that needs its key order.
func readJSONBody(r *http.Request) (body map[string]any, raw []byte, rep *reply) {
	body = map[string]any{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return body, nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 100<<10))
	trimmed := strings.TrimSpace(string(raw))
	if err != nil || trimmed == "" {
		return body, nil, nil
	}
	var v any
	err = json.Unmarshal(raw, &v)
	if err == nil && trimmed[0] != '{' && trimmed[0] != '[' {
		err = fmt.Errorf("Unexpected token %q in JSON at position 0", trimmed[0])
	}
	if err != nil {
		return nil, nil, &reply{status: http.StatusBadRequest, kind: htmlReply,
			text: html.EscapeString("SyntaxError: " + err.Error())}
	}
	if m, ok := v.(map[string]any); ok {
		return m, raw, nil
	}
	return body, raw, nil
}
