package entra

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A publisher asks the v1 endpoint for a token for the fulfillment API and
// gets Entra's v1 answer (numbers as strings) with a v1 token.
func TestTokenV1(t *testing.T) {
	e := newEnv(t, nil)
	a := e.postForm("/"+tenantA+"/oauth2/token", v1Form(), map[string]string{"client-request-id": "AAAAAAAA-1111-4222-8333-444444444444"})
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	now := start.Unix()
	for k, want := range map[string]any{
		"token_type": "Bearer", "expires_in": "3600", "ext_expires_in": "3600",
		"expires_on": strconv.FormatInt(now+3600, 10), "not_before": strconv.FormatInt(now-300, 10),
		"resource": FulfillmentResource,
	} {
		if a.body[k] != want {
			t.Errorf("%s = %#v, want %#v", k, a.body[k], want)
		}
	}
	if a.header.Get("Cache-Control") != "no-store, no-cache" || a.header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers %q / %q", a.header.Get("Cache-Control"), a.header.Get("Pragma"))
	}
	if got := a.header.Get("client-request-id"); got != "AAAAAAAA-1111-4222-8333-444444444444" {
		t.Errorf("client-request-id echoed as %q", got)
	}
	tok := a.body["access_token"].(string)
	c := payload(t, tok)
	wantClaims(t, c, map[string]any{
		"aud": FulfillmentResource, "iss": e.srv.URL + "/" + tenantA + "/", "idp": e.srv.URL + "/" + tenantA + "/",
		"tid": tenantA, "appid": appA, "appidacr": "1", "idtyp": "app", "ver": "1.0",
		"iat": float64(now - 300), "nbf": float64(now - 300), "exp": float64(now + 3600),
	})
	if c["oid"] == nil || c["sub"] != c["oid"] {
		t.Errorf("oid %v, sub %v: want the same service principal id", c["oid"], c["sub"])
	}
	if _, ok := c["azp"]; ok {
		t.Errorf("v1 token carries azp: %v", c)
	}
	h := header(t, tok)
	if h["alg"] != "RS256" || h["typ"] != "JWT" || h["kid"] != e.issuer.KeyID() || h["x5t"] == nil {
		t.Errorf("header %v", h)
	}
}

// MSAL asks the v2 endpoint with the OpenID scopes added to the resource's
// .default; the answer has numbers and the token is a v2 one.
func TestTokenV2(t *testing.T) {
	e := newEnv(t, nil)
	f := v2Form()
	f.Set("scope", FulfillmentResource+"/.default openid offline_access profile")
	a := e.postForm("/"+tenantA+"/oauth2/v2.0/token", f, nil)
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	if a.body["expires_in"] != float64(3600) || a.body["ext_expires_in"] != float64(3600) || a.body["token_type"] != "Bearer" {
		t.Errorf("answer %v", a.body)
	}
	if _, ok := a.body["resource"]; ok {
		t.Errorf("v2 answer has resource: %v", a.body)
	}
	c := payload(t, a.body["access_token"].(string))
	wantClaims(t, c, map[string]any{
		"aud": FulfillmentResource, "iss": e.srv.URL + "/" + tenantA + "/v2.0",
		"tid": tenantA, "azp": appA, "azpacr": "1", "idtyp": "app", "ver": "2.0",
	})
	if _, ok := c["appid"]; ok {
		t.Errorf("v2 token carries appid: %v", c)
	}
}

// Two tokens of the same app share oid but never their unique ids.
func TestTokensAreUniqueButOIDIsStable(t *testing.T) {
	e := newEnv(t, nil)
	a, b := payload(t, e.tokenV2()), payload(t, e.tokenV2())
	if a["oid"] != b["oid"] {
		t.Errorf("oid changed: %v vs %v", a["oid"], b["oid"])
	}
	if a["uti"] == b["uti"] || a["jti"] == b["jti"] {
		t.Errorf("unique ids repeat: %v %v", a, b)
	}
}

// The secret may come in an Authorization: Basic header (client_secret_basic),
// with or without the same values in the body; values that disagree are refused.
func TestBasicAuth(t *testing.T) {
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	cases := []struct {
		name       string
		auth       string
		drop       []string
		wantStatus int
		wantCode   float64
	}{
		{"basic only", basic(appA, secretA), []string{"client_id", "client_secret"}, 200, 0},
		{"basic, lower-case scheme", strings.Replace(basic(appA, secretA), "Basic", "basic", 1), []string{"client_id", "client_secret"}, 200, 0},
		{"basic and the same body values", basic(appA, secretA), nil, 200, 0},
		{"basic secret, body id", basic(appA, secretA), []string{"client_secret"}, 200, 0},
		{"basic with a wrong secret", basic(appA, "nope"), []string{"client_id", "client_secret"}, 401, 7000215},
		{"basic and body secrets differ", basic(appA, "other"), nil, 400, 90100},
		{"basic and body ids differ", basic(appB, secretB), []string{"client_secret"}, 400, 90100},
		{"basic not base64", "Basic %%%", []string{"client_id", "client_secret"}, 400, 90100},
	}
	e := newEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := v2Form()
			for _, k := range tc.drop {
				f.Del(k)
			}
			a := e.postForm("/"+tenantA+"/oauth2/v2.0/token", f, map[string]string{"Authorization": tc.auth})
			if a.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.raw)
			}
			if tc.wantCode != 0 && a.body["error_codes"].([]any)[0] != tc.wantCode {
				t.Errorf("error_codes %v, want %v", a.body["error_codes"], tc.wantCode)
			}
		})
	}
}

// The lifetime is a setting, on the sandbox clock.
func TestTokenLifetimeSetting(t *testing.T) {
	s := DefaultSettings()
	s.TokenLifetime = 20 * time.Minute
	e := newEnv(t, &s)
	e.clock.Advance(t.Context(), 48*time.Hour)
	c := payload(t, e.tokenV2())
	if want := float64(start.Add(48*time.Hour + 20*time.Minute).Unix()); c["exp"] != want {
		t.Errorf("exp %v, want %v", c["exp"], want)
	}
}
