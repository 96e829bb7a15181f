package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestListenerLeavesHandlerAnswersAlone: only net/http's own answers are
// rewritten; whatever a handler writes, even text/plain errors with
// Connection: close, goes out byte for byte.
func TestListenerLeavesHandlerAnswersAlone(t *testing.T) {
	sb, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]http.HandlerFunc{
		"http.Error": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "400 Bad Request", http.StatusBadRequest) },
		"closing text/plain": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Connection", "close")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "400 Bad Request")
		},
		"sniffed body": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
			_, _ = io.WriteString(w, "431 Request Header Fields Too Large")
		},
		"417 with a request id": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Request-Id", "abc")
			w.WriteHeader(http.StatusExpectationFailed)
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			hs := httptest.NewUnstartedServer(h)
			hs.Listener = sb.Listener(hs.Listener)
			hs.Start()
			defer hs.Close()
			resp, err := http.Get(hs.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(resp.Header.Get("Content-Type"), "json") || strings.Contains(string(body), `"error"`) {
				t.Errorf("rewritten: %d %s %q", resp.StatusCode, resp.Header, body)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b":        "/a/b",
		"/":           "/",
		"":            "/",
		"//":          "/",
		"/a//b/":      "/a/b",
		"/a/./b":      "/a/b",
		"/a/../b":     "/b",
		"/../../a":    "/a",
		"/a/%2E%2e/b": "/b",
		"/a/%2e/b":    "/a/b",
		"/a/.b/..c":   "/a/.b/..c",
		"/a%2F/b":     "/a%2F/b",
		"*":           "/*",
	} {
		if got, _ := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
