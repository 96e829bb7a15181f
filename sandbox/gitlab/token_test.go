package gitlab_test

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

var formEncoded = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestTokenEndpointErrorsFollowDoorkeeperCheckOrder(t *testing.T) {
	srv := frozen(t)
	cases := []struct {
		name      string
		header    map[string]string
		body      string
		wantCode  int
		wantError string
	}{
		{"no body at all", nil, "", 400, "invalid_request"},
		{"missing grant_type", formEncoded, "client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead, 400, "invalid_request"},
		{"unknown grant", formEncoded, "grant_type=password&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead, 400, "unsupported_grant_type"},
		{"unknown grant beats bad client", formEncoded, "grant_type=authorization_code&client_id=nobody", 400, "unsupported_grant_type"},
		{"no credentials", formEncoded, "grant_type=client_credentials&scope=" + scopeRead, 401, "invalid_client"},
		{"unknown client", formEncoded, "grant_type=client_credentials&client_id=nobody&client_secret=x&scope=" + scopeRead, 401, "invalid_client"},
		{"wrong secret", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=wrong&scope=" + scopeRead, 401, "invalid_client"},
		{"empty secret", formEncoded, "grant_type=client_credentials&client_id=demo-partner&scope=" + scopeRead, 401, "invalid_client"},
		{"bad secret and bad scope is 401", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=wrong&scope=admin", 401, "invalid_client"},
		{"missing scope", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret", 400, "invalid_scope"},
		{"empty scope", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=+", 400, "invalid_scope"},
		{"unknown scope", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=api", 400, "invalid_scope"},
		{"one unknown among known", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead + "+api", 400, "invalid_scope"},
		{"scope not granted to client", formEncoded, "grant_type=client_credentials&client_id=readonly-partner&client_secret=readonly-secret&scope=" + scopeCreate, 400, "invalid_scope"},
		{"wrong Basic secret", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic("demo-partner", "nope")}, "grant_type=client_credentials&scope=" + scopeRead, 401, "invalid_client"},
		{"Basic wins over body", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic("demo-partner", "nope")}, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead, 401, "invalid_client"},
		{"garbled Basic", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic %%%"}, "grant_type=client_credentials&scope=" + scopeRead, 401, "invalid_client"},
		{"malformed JSON", map[string]string{"Content-Type": "application/json"}, `{"grant_type":`, 400, "invalid_request"},
		// Doorkeeper looks a non-string grant_type up like any other and
		// finds no such grant (Request.token_strategy).
		{"JSON number parameter", map[string]string{"Content-Type": "application/json"}, `{"grant_type":1}`, 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+"/oauth/token", tc.header, []byte(tc.body))
			expectError(t, r, tc.wantCode, tc.wantError)
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			want := `Bearer realm="Doorkeeper", error="` + tc.wantError + `", error_description="`
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) {
				t.Errorf("WWW-Authenticate = %q, want prefix %q", got, want)
			}
		})
	}
}

func TestTokenEndpointIssuesTokensInEveryAcceptedShape(t *testing.T) {
	srv := frozen(t)
	cases := []struct {
		name      string
		header    map[string]string
		body      string
		query     string
		wantScope string
	}{
		{"form body", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeCreate, "", scopeCreate},
		{"JSON body", map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"grant_type":"client_credentials","client_id":"demo-partner","client_secret":"demo-secret","scope":"marketplace.order:read"}`, "", scopeRead},
		{"Basic credentials", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic("second-partner", "second-secret")}, "grant_type=client_credentials&scope=" + scopeRead, "", scopeRead},
		{"two scopes, repeats dropped", formEncoded, "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead + "+" + scopeCreate + "+" + scopeRead, "", scopeRead + " " + scopeCreate},
		{"query parameters, as Rails merges them", nil, "", "?grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=" + scopeRead, scopeRead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+"/oauth/token"+tc.query, tc.header, []byte(tc.body))
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			tok, _ := r.json["access_token"].(string)
			if !tokenShape.MatchString(tok) {
				t.Errorf("access_token %q is not 43 URL-safe base64 characters", tok)
			}
			if r.json["token_type"] != "Bearer" || r.json["expires_in"] != float64(7200) || r.json["scope"] != tc.wantScope {
				t.Errorf("body %s", r.raw)
			}
			if r.json["created_at"] != float64(epoch.Unix()) {
				t.Errorf("created_at = %v, want the sandbox clock's %d", r.json["created_at"], epoch.Unix())
			}
			if _, ok := r.json["refresh_token"]; ok {
				t.Error("client-credentials tokens have no refresh token")
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
		})
	}
}

func TestTokenLifetimeIsASettingOnTheSandboxClock(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenLifetime = 10 * time.Minute }))
	tok := token(t, srv, "demo-partner", scopeRead)
	if r := status(t, srv, tok, "nothing"); r.status != http.StatusNotFound {
		t.Fatalf("fresh token: %d %s", r.status, r.raw)
	}
	srv.Advance(10*time.Minute - time.Second)
	if r := status(t, srv, tok, "nothing"); r.status != http.StatusNotFound {
		t.Fatalf("one second before expiry: %d %s", r.status, r.raw)
	}
	srv.Advance(time.Second)
	r := status(t, srv, tok, "nothing")
	expectError(t, r, http.StatusUnauthorized, "invalid_token")
	if r.json["error_description"] != "The access token expired" {
		t.Errorf("description %v", r.json["error_description"])
	}
}

func TestStrictProfileFollowsRFC6749(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenProfile = "strict" }))
	withBasic := func(id, secret string) map[string]string {
		return map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(id, secret)}
	}
	t.Run("Basic client failure is challenged with Basic", func(t *testing.T) {
		r := call(t, http.MethodPost, srv.URL+"/oauth/token", withBasic("demo-partner", "wrong"), []byte("grant_type=client_credentials&scope="+scopeRead))
		expectError(t, r, 401, "invalid_client")
		if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic realm=") {
			t.Errorf("WWW-Authenticate = %q", got)
		}
		if r.header.Get("Pragma") != "no-cache" {
			t.Errorf("Pragma = %q", r.header.Get("Pragma"))
		}
	})
	t.Run("Basic and body credentials together", func(t *testing.T) {
		r := call(t, http.MethodPost, srv.URL+"/oauth/token", withBasic("demo-partner", "demo-secret"), []byte("grant_type=client_credentials&client_id=demo-partner&scope="+scopeRead))
		expectError(t, r, 400, "invalid_request")
	})
	t.Run("JSON bodies are refused", func(t *testing.T) {
		r := call(t, http.MethodPost, srv.URL+"/oauth/token", map[string]string{"Content-Type": "application/json"}, []byte(`{"grant_type":"client_credentials"}`))
		expectError(t, r, 400, "invalid_request")
	})
	t.Run("body credentials failure has no Bearer challenge", func(t *testing.T) {
		r := call(t, http.MethodPost, srv.URL+"/oauth/token", formEncoded, []byte("grant_type=client_credentials&client_id=demo-partner&client_secret=x&scope="+scopeRead))
		expectError(t, r, 401, "invalid_client")
		if got := r.header.Get("WWW-Authenticate"); got != "" {
			t.Errorf("WWW-Authenticate = %q, want none", got)
		}
	})
	t.Run("success carries Pragma no-cache", func(t *testing.T) {
		r := call(t, http.MethodPost, srv.URL+"/oauth/token", withBasic("demo-partner", "demo-secret"), []byte("grant_type=client_credentials&scope="+scopeRead))
		if r.status != 200 || r.header.Get("Pragma") != "no-cache" {
			t.Fatalf("%d Pragma=%q %s", r.status, r.header.Get("Pragma"), r.raw)
		}
	})
}
