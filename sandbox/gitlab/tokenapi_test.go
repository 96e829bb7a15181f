package gitlab_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

func form(values ...string) []byte { return []byte(strings.Join(values, "&")) }

// TestRevokeAsDoorkeeper walks TokensController#revoke: client first (403
// unauthorized_client), then unknown or missing token 200 {}, another
// client's token 403 (and it keeps working), one's own revoked.
func TestRevokeAsDoorkeeper(t *testing.T) {
	srv := frozen(t)
	mine := token(t, srv, "demo-partner", scopeRead)
	theirs := token(t, srv, "second-partner", scopeRead)
	cases := []struct {
		name       string
		body       []byte
		auth       string
		wantStatus int
		wantError  string
	}{
		{"no client", form("token=" + mine), "", 403, "unauthorized_client"},
		{"wrong secret", form("token="+mine, "client_id=demo-partner", "client_secret=x"), "", 403, "unauthorized_client"},
		{"unknown token", form("token=nope", "client_id=demo-partner", "client_secret=demo-secret"), "", 200, ""},
		{"no token parameter", form("client_id=demo-partner", "client_secret=demo-secret"), "", 200, ""},
		{"another client's token", form("token="+theirs, "client_id=demo-partner", "client_secret=demo-secret"), "", 403, "unauthorized_client"},
		{"own token, Basic", form("token=" + mine), basic("demo-partner", "demo-secret"), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			r := call(t, http.MethodPost, srv.URL+"/oauth/revoke", h, tc.body)
			if tc.wantError != "" {
				expectError(t, r, tc.wantStatus, tc.wantError)
				if r.json["error_description"] != "You are not authorized to revoke this token" {
					t.Errorf("description %v", r.json["error_description"])
				}
				return
			}
			if r.status != 200 || strings.TrimSpace(string(r.raw)) != "{}" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	if r := status(t, srv, theirs, "x"); r.status != http.StatusNotFound {
		t.Errorf("another client's token was revoked: %d %s", r.status, r.raw)
	}
	r := status(t, srv, mine, "x")
	expectError(t, r, 401, "invalid_token")
	if r.json["error_description"] != "The access token was revoked" {
		t.Errorf("description %v", r.json["error_description"])
	}
}

func TestRevokeStrictFollowsRFC7009(t *testing.T) {
	srv := frozen(t, strictProfile())
	theirs := token(t, srv, "second-partner", scopeRead)
	cases := []struct {
		name       string
		body       []byte
		wantStatus int
		wantError  string
	}{
		{"no client", form("token=" + theirs), 401, "invalid_client"},
		{"missing token", form("client_id=demo-partner", "client_secret=demo-secret"), 400, "invalid_request"},
		{"another client's token", form("token="+theirs, "client_id=demo-partner", "client_secret=demo-secret"), 400, "unauthorized_client"},
		{"unknown token", form("token=nope", "client_id=demo-partner", "client_secret=demo-secret"), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+"/oauth/revoke", formEncoded, tc.body)
			if tc.wantError == "" {
				if r.status != tc.wantStatus {
					t.Fatalf("%d %s", r.status, r.raw)
				}
				return
			}
			expectError(t, r, tc.wantStatus, tc.wantError)
		})
	}
}

// TestIntrospectAsDoorkeeper walks TokenIntrospection#authorize! and
// #active? with Doorkeeper's default allow_token_introspection.
func TestIntrospectAsDoorkeeper(t *testing.T) {
	srv := frozen(t)
	mine := token(t, srv, "demo-partner", scopeRead, scopeCreate)
	other := token(t, srv, "demo-partner", scopeRead)
	theirs := token(t, srv, "second-partner", scopeRead)
	demo := "client_id=demo-partner&client_secret=demo-secret"
	cases := []struct {
		name       string
		body       string
		auth       string
		wantStatus int
		wantError  string
		wantActive bool
	}{
		{"no authorization at all", "token=" + mine, "", 400, "invalid_request", false},
		{"wrong client secret", "token=" + mine + "&client_id=demo-partner&client_secret=x", "", 401, "invalid_client", false},
		{"client, own token", "token=" + mine + "&" + demo, "", 200, "", true},
		{"client, another client's token", "token=" + theirs + "&" + demo, "", 200, "", false},
		{"client, unknown token", "token=nope&" + demo, "", 200, "", false},
		{"client, no token", demo, "", 200, "", false},
		{"bearer, same client's other token", "token=" + mine, "Bearer " + other, 200, "", true},
		{"bearer, itself", "token=" + other, "Bearer " + other, 401, "invalid_token", false},
		{"bearer, another client's token", "token=" + theirs, "Bearer " + other, 401, "invalid_token", false},
		{"bearer, unknown token", "token=nope", "Bearer " + other, 401, "invalid_token", false},
		{"unknown bearer", "token=" + mine, "Bearer nope", 400, "invalid_request", false},
		{"access_token parameter authorizes", "token=" + mine + "&access_token=" + other, "", 200, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			r := call(t, http.MethodPost, srv.URL+"/oauth/introspect", h, []byte(tc.body))
			if tc.wantError != "" {
				expectError(t, r, tc.wantStatus, tc.wantError)
				return
			}
			if r.status != 200 || r.json["active"] != tc.wantActive {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			if !tc.wantActive && len(r.json) != 1 {
				t.Errorf("an inactive answer shows more than active: %s", r.raw)
			}
			if tc.wantActive && (r.json["client_id"] != "demo-partner" || r.json["token_type"] != "Bearer" || r.json["iat"] != float64(epoch.Unix()) ||
				r.json["exp"] != float64(epoch.Add(2*time.Hour).Unix()) || r.json["scope"] == "") {
				t.Errorf("fields %s", r.raw)
			}
		})
	}
	srv.Advance(2 * time.Hour)
	r := call(t, http.MethodPost, srv.URL+"/oauth/introspect", formEncoded, []byte("token="+mine+"&"+demo))
	if r.json["active"] != false {
		t.Errorf("expired token: %s", r.raw)
	}
}

func TestIntrospectStrictFollowsRFC7662(t *testing.T) {
	srv := frozen(t, strictProfile())
	theirs := token(t, srv, "second-partner", scopeRead)
	demo := "client_id=demo-partner&client_secret=demo-secret"
	expectError(t, call(t, http.MethodPost, srv.URL+"/oauth/introspect", formEncoded, []byte("token="+theirs)), 401, "invalid_client")
	expectError(t, call(t, http.MethodPost, srv.URL+"/oauth/introspect", formEncoded, []byte(demo)), 400, "invalid_request")
	if r := call(t, http.MethodPost, srv.URL+"/oauth/introspect", formEncoded, []byte("token="+theirs+"&"+demo)); r.json["active"] != false {
		t.Errorf("another client's token: %s", r.raw)
	}
}

func TestTokenInfoAsDoorkeeper(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeRead, scopeCreate)
	srv.Advance(10 * time.Minute)
	for _, how := range []struct{ name, query, auth string }{{"header", "", "Bearer " + tok}, {"access_token query", "?access_token=" + tok, ""}, {"bearer_token query", "?bearer_token=" + tok, ""}} {
		t.Run(how.name, func(t *testing.T) {
			h := map[string]string{}
			if how.auth != "" {
				h["Authorization"] = how.auth
			}
			r := call(t, http.MethodGet, srv.URL+"/oauth/token/info"+how.query, h, nil)
			app, _ := r.json["application"].(map[string]any)
			scopes, _ := r.json["scope"].([]any)
			if r.status != 200 || r.json["resource_owner_id"] != nil || r.json["expires_in"] != float64(7200-600) || app["uid"] != "demo-partner" ||
				len(scopes) != 2 || r.json["created_at"] != float64(epoch.Unix()) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	srv.Advance(2 * time.Hour)
	r := call(t, http.MethodGet, srv.URL+"/oauth/token/info", map[string]string{"Authorization": "Bearer " + tok}, nil)
	expectError(t, r, 401, "invalid_token")
	if r.json["error_description"] != "The access token is invalid" {
		t.Errorf("Doorkeeper's token info does not say why: %v", r.json["error_description"])
	}
	strict := frozen(t, strictProfile())
	expectError(t, call(t, http.MethodGet, strict.URL+"/oauth/token/info", map[string]string{"Authorization": "Bearer " + token(t, strict, "demo-partner", scopeRead)}, nil), 404, "not_found")
}

// TestAccessTokenMethods checks where a protected route finds its token.
func TestAccessTokenMethods(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeRead, scopeCreate)
	strict := frozen(t, strictProfile())
	stok := token(t, strict, "demo-partner", scopeRead, scopeCreate)
	cases := []struct {
		name       string
		srv        *sandboxtest.Server
		method     string
		query      string
		header     map[string]string
		body       string
		wantStatus int
	}{
		{"access_token query", srv, "GET", "?access_token=" + tok, nil, "", 404},
		{"bearer_token query", srv, "GET", "?bearer_token=" + tok, nil, "", 404},
		{"lowercase bearer", srv, "GET", "", map[string]string{"Authorization": "bearer " + tok}, "", 404},
		{"two spaces after Bearer are part of the token", srv, "GET", "", map[string]string{"Authorization": "Bearer  " + tok}, "", 401},
		{"header wins over the query", srv, "GET", "?access_token=" + tok, map[string]string{"Authorization": "Bearer nope"}, "", 401},
		{"access_token in a create's JSON body", srv, "POST", "", map[string]string{"Content-Type": "application/json"}, `{"access_token":"` + tok + `"}`, 422},
		{"strict: query", strict, "GET", "?access_token=" + stok, nil, "", 404},
		{"strict: two spaces are fine", strict, "GET", "", map[string]string{"Authorization": "Bearer  " + stok}, "", 404},
		{"strict: two methods", strict, "GET", "?access_token=" + stok, map[string]string{"Authorization": "Bearer " + stok}, "", 400},
		{"strict: bearer_token is no method", strict, "GET", "?bearer_token=" + stok, nil, "", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := subsPath + "/nothing"
			if tc.method == "POST" {
				path = subsPath
			}
			r := call(t, tc.method, tc.srv.URL+path+tc.query, tc.header, []byte(tc.body))
			if r.status != tc.wantStatus {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
}

// TestControlAPIRevokesTokens is the way to test "revoked → 401".
func TestControlAPIRevokesTokens(t *testing.T) {
	srv := frozen(t)
	a := token(t, srv, "demo-partner", scopeRead)
	b := token(t, srv, "demo-partner", scopeRead)
	c := token(t, srv, "second-partner", scopeRead)
	json := map[string]string{"Content-Type": "application/json"}
	revoke := func(body string) reply {
		return call(t, http.MethodPost, srv.URL+"/_sandbox/gitlab/tokens/revoke", json, []byte(body))
	}
	r := revoke(`{"token":"` + a + `"}`)
	if list, _ := r.json["revoked"].([]any); r.status != 200 || len(list) != 1 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := status(t, srv, a, "x"); r.json["error_description"] != "The access token was revoked" {
		t.Errorf("%s", r.raw)
	}
	expectError(t, revoke(`{"token":"never-issued"}`), 404, "not_found")
	expectError(t, revoke(`{"clientId":"nobody"}`), 404, "not_found")
	expectError(t, revoke(`{"token":"x","clientId":"demo-partner"}`), 400, "invalid_request")
	expectError(t, revoke(`{}`), 400, "invalid_request")
	expectError(t, revoke(`{"tokn":"x"}`), 400, "bad_request")
	expectError(t, revoke(`{"token":"x"} {}`), 400, "bad_request")
	r = revoke(`{"clientId":"demo-partner"}`)
	if list, _ := r.json["revoked"].([]any); len(list) != 1 {
		t.Errorf("revoke by client: %s", r.raw)
	}
	if r := status(t, srv, b, "x"); r.status != 401 {
		t.Errorf("b: %d", r.status)
	}
	if r := status(t, srv, c, "x"); r.status != 404 {
		t.Errorf("another client's token: %d", r.status)
	}
	r = call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/tokens?state=revoked", nil, nil)
	if r.json["total"] != float64(2) {
		t.Errorf("listing: %s", r.raw)
	}
	r = call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/tokens?clientId=second-partner", nil, nil)
	if list, _ := r.json["tokens"].([]any); len(list) != 1 || list[0].(map[string]any)["token"] != c || list[0].(map[string]any)["state"] != "active" {
		t.Errorf("listing: %s", r.raw)
	}
	for _, bad := range []string{"state=gone", "limit=0", "limit=1001", "colour=red", "state=active&state=revoked"} {
		expectError(t, call(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/tokens?"+bad, nil, nil), 400, "invalid_request")
	}
	_ = url.Values{}
}

// TestTokenClockSetting: with token_clock sandbox (the default) an advance
// past the lifetime expires the token; with wall it does not, since the
// client caching the token judges by the wall clock.
func TestTokenClockSetting(t *testing.T) {
	for _, tc := range []struct {
		clock      string
		wantStatus int
	}{{"sandbox", 401}, {"wall", 404}} {
		t.Run(tc.clock, func(t *testing.T) {
			srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenClock = tc.clock }))
			tok := token(t, srv, "demo-partner", scopeRead)
			srv.Advance(3 * time.Hour)
			if r := status(t, srv, tok, "x"); r.status != tc.wantStatus {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	_, err := sandboxtest.Start(sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenClock = "Wall" }))
	if err == nil || !strings.Contains(err.Error(), "gitlab.token_clock") {
		t.Errorf("an unknown token_clock was accepted: %v", err)
	}
}
