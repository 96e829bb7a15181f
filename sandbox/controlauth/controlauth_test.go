package controlauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
)

func TestGuarded(t *testing.T) {
	for _, c := range []struct {
		path string
		want bool
	}{
		{"/_sandbox", true},
		{"/_sandbox/reset", true},
		{"/_sandbox/gitlab/scripts", true},
		{"/_sandbox/health", false},
		{"/_sandbox/ca.pem", false},
		{"/_sandbox/microsoft/sample/webhook", false},
		{"/_sandbox/microsoft/sample/landing", false},
		{"/_sandbox/microsoft/sample/webhooks", true}, // what the receiver got: control
		{"/_sandboxes", false},
		{"/api/v1/marketplace/subscriptions", false},
		{"/oauth/token", false},
		{"/_sandbox/sessions", true},
		{"/_sandbox/sessions/", true},
		{"/_sandbox/sessions/abc", true},
		{"/_sandbox/sessions/abc/", true},
		{"/_sandbox/sessions/abc/report", true},
		{"/_sandbox/sessions/abc/oauth/token", false},
		{"/_sandbox/sessions/abc/api/saas/subscriptions", false},
		{"/_sandbox/sessions/abc/_sandbox/clock", true},
		{"/_sandbox/sessions/abc/_sandbox/health", false},
		{"/_sandbox/sessions/abc/_sandbox/microsoft/sample/webhook", false},
	} {
		if got := controlauth.Guarded(c.path); got != c.want {
			t.Errorf("Guarded(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}

func TestCheckToken(t *testing.T) {
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{strings.Repeat("a", 16), true},
		{strings.Repeat("a", 15), false},
		{strings.Repeat("a", 513), false},
		{"abcdefghijklmnop qrst", false},
		{"abcdefghijklmnopqrsé", false},
		{"0123456789abcdef-._~+/=!", true},
	} {
		if err := controlauth.CheckToken(c.token); (err == nil) != c.ok {
			t.Errorf("CheckToken(%q) = %v, want ok %v", c.token, err, c.ok)
		}
	}
}

// The transport adds the token to the control requests for its host, and
// leaves every other request as the caller wrote it.
func TestTransport(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	client := controlauth.Client(nil, "the-control-token-123", host)
	get := func(url, auth string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if auth == "" && req.Header.Get("Authorization") != "" {
			t.Error("the caller's request was changed")
		}
	}
	get(srv.URL+"/_sandbox/clock", "")
	get(srv.URL+"/_sandbox/health", "")
	get(srv.URL+"/api/v1/marketplace/subscriptions", "")
	get(srv.URL+"/_sandbox/sessions/s1/api/v1/marketplace/subscriptions", "")
	get(srv.URL+"/_sandbox/sessions/s1/_sandbox/clock", "")
	get(srv.URL+"/_sandbox/reset", "Bearer chosen")
	get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/_sandbox/clock", "") // another host name
	want := []string{
		"/_sandbox/clock Bearer the-control-token-123",
		"/_sandbox/health ",
		"/api/v1/marketplace/subscriptions ",
		"/_sandbox/sessions/s1/api/v1/marketplace/subscriptions ",
		"/_sandbox/sessions/s1/_sandbox/clock Bearer the-control-token-123",
		"/_sandbox/reset Bearer chosen",
		"/_sandbox/clock ",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the server saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkGuarded is what every request pays for the rule (the guard asks
// it of marketplace traffic too).
func BenchmarkGuarded(b *testing.B) {
	for _, path := range []string{"/api/v1/marketplace/subscriptions/order-1", "/_sandbox/sessions/abc/api/saas/subscriptions", "/_sandbox/clock"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				controlauth.Guarded(path)
			}
		})
	}
}
