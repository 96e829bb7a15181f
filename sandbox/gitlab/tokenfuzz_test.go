package gitlab_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// FuzzTokenRequest sends arbitrary methods, headers, queries and bodies to
// the OAuth endpoints (token, revoke, introspect, token info) in both
// profiles: whatever they are, the answer is never a 5xx, and every error
// is in the portal's envelope with its request id.
func FuzzTokenRequest(f *testing.F) {
	f.Add(uint8(0), "POST", "", "application/x-www-form-urlencoded", "", demoCreds+"&scope="+scopeRead)
	f.Add(uint8(1), "POST", "scope=a;b&client_secret=x", "application/json", "Basic ZGVtbzpzZWNyZXQ=", `{"grant_type":["x"],"scope":{"a":1}}`)
	f.Add(uint8(2), "POST", "token=x", "multipart/form-data; boundary=b", "Bearer ", "--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nx\r\n--b--\r\n")
	f.Add(uint8(3), "GET", "access_token=%zz", "", "bearer  x", "")
	f.Add(uint8(4), "PUT", "a[]=1&a=2&[]=3", "text/plain", "basic %%%", "scope[]=x&scope=y")
	servers := map[bool]*sandboxtest.Server{}
	for _, strict := range []bool{false, true} {
		opts := []sandboxtest.Option{sandboxtest.WithFrozenClock(epoch)}
		if strict {
			opts = append(opts, strictProfile())
		}
		srv, err := sandboxtest.Start(opts...)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(srv.Close)
		servers[strict] = srv
	}
	paths := []string{"/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/token/info"}
	f.Fuzz(func(t *testing.T, which uint8, method, query, contentType, authorization, body string) {
		srv := servers[which&4 != 0]
		if !validMethod(method) || strings.ContainsAny(query, " #\x00\r\n") || !validHeader(contentType) || !validHeader(authorization) {
			return
		}
		req, err := http.NewRequest(method, srv.URL+paths[int(which)%len(paths)]+"?"+query, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", authorization)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // the client refused to send it
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%d %s", resp.StatusCode, raw)
		}
		if resp.StatusCode >= 400 {
			var e struct {
				Error, ErrorDescription, RequestID string `json:"-"`
			}
			var m map[string]any
			if json.Unmarshal(raw, &m) != nil || m["error"] == "" || m["error"] == nil || m["request_id"] != resp.Header.Get("X-Request-Id") {
				t.Fatalf("%d outside the envelope: %s", resp.StatusCode, raw)
			}
			_ = e
		}
		srv.Advance(time.Second)
	})
}

func validMethod(m string) bool {
	if m == "" || m == "CONNECT" || m == "HEAD" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func validHeader(v string) bool { return !strings.ContainsAny(v, "\x00\r\n") }
