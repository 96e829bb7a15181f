package entra

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Each discovery document names its own issuer (the iss of the tokens of
// its endpoint) and the endpoints a stock client reads.
func TestDiscoveryDocuments(t *testing.T) {
	e := newEnv(t, nil)
	base := e.srv.URL
	cases := []struct {
		name string
		path string
		want map[string]any
	}{
		{"v2 of a tenant", "/" + tenantA + "/v2.0/.well-known/openid-configuration", map[string]any{
			"issuer":                 base + "/" + tenantA + "/v2.0",
			"token_endpoint":         base + "/" + tenantA + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/" + tenantA + "/oauth2/v2.0/authorize",
			"jwks_uri":               base + "/" + tenantA + "/discovery/v2.0/keys",
			"tenant_region_scope":    "NA",
		}},
		{"v2 of an upper-case tenant id", "/" + strings.ToUpper(tenantA) + "/v2.0/.well-known/openid-configuration", map[string]any{
			"issuer": base + "/" + tenantA + "/v2.0",
		}},
		{"v1 of a tenant", "/" + tenantA + "/.well-known/openid-configuration", map[string]any{
			"issuer":                 base + "/" + tenantA + "/",
			"token_endpoint":         base + "/" + tenantA + "/oauth2/token",
			"authorization_endpoint": base + "/" + tenantA + "/oauth2/authorize",
			"jwks_uri":               base + "/common/discovery/keys",
		}},
		{"v2 of common", "/common/v2.0/.well-known/openid-configuration", map[string]any{
			"issuer":         base + "/{tenantid}/v2.0",
			"token_endpoint": base + "/common/oauth2/v2.0/token",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get(tc.path)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.raw)
			}
			wantClaims(t, a.body, tc.want)
			for _, k := range []string{"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported"} {
				if list, _ := a.body[k].([]any); len(list) == 0 {
					t.Errorf("%s missing", k)
				}
			}
			if !strings.Contains(a.raw, `"client_secret_basic"`) || !strings.Contains(a.raw, `"RS256"`) {
				t.Errorf("document %s", a.raw)
			}
		})
	}
}

// Every key-set URL serves the signing key; the v2 set names the
// tenant's issuer on each key, as Entra's does.
func TestKeySets(t *testing.T) {
	e := newEnv(t, nil)
	for path, issuer := range map[string]any{
		"/" + tenantA + "/discovery/v2.0/keys": e.srv.URL + "/" + tenantA + "/v2.0",
		"/" + tenantA + "/discovery/keys":      nil,
		"/common/discovery/keys":               nil,
		"/common/discovery/v2.0/keys":          e.srv.URL + "/{tenantid}/v2.0",
	} {
		t.Run(path, func(t *testing.T) {
			a := e.get(path)
			keys, _ := a.body["keys"].([]any)
			if a.status != 200 || len(keys) != 1 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			k := keys[0].(map[string]any)
			wantClaims(t, k, map[string]any{"kty": "RSA", "use": "sig", "kid": e.issuer.KeyID(), "e": "AQAB", "alg": "RS256", "issuer": issuer, "x5t": e.issuer.key.x5t})
			if n, _ := k["n"].(string); len(n) != 342 {
				t.Errorf("n has %d characters", len(n))
			}
			if a.header.Get("Cache-Control") == "" || a.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("headers %v", a.header)
			}
		})
	}
}

// MSAL's instance discovery points at the tenant's v2 document.
func TestInstanceDiscovery(t *testing.T) {
	e := newEnv(t, nil)
	q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {e.srv.URL + "/" + tenantA + "/oauth2/v2.0/authorize"}}
	a := e.get("/common/discovery/instance?" + q.Encode())
	if a.status != 200 || a.body["tenant_discovery_endpoint"] != e.srv.URL+"/"+tenantA+"/v2.0/.well-known/openid-configuration" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if md, _ := a.body["metadata"].([]any); len(md) != 1 {
		t.Errorf("metadata %v", a.body["metadata"])
	}
	for name, query := range map[string]string{"missing": "api-version=1.1", "not a URL": "authorization_endpoint=%3A%2F%2F", "no tenant": "authorization_endpoint=https%3A%2F%2Fhost%2F"} {
		if a := e.get("/common/discovery/instance?" + query); a.status != 400 || a.body["error_codes"] == nil {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
}

// The marketplace claims every Entra-shaped path and nothing else.
func TestIsTokenPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/" + tenantA + "/oauth2/token":                          true,
		"/" + tenantA + "/oauth2/v2.0/token":                     true,
		"/" + tenantA + "/oauth2/v2.0/authorize":                 true,
		"/" + tenantA + "/v2.0/.well-known/openid-configuration": true,
		"/" + tenantA + "/.well-known/openid-configuration":      true,
		"/common/discovery/keys":                                 true,
		"/common/discovery/instance":                             true,
		"/api/saas/subscriptions":                                false,
		"/api/oauth2/token":                                      false,
		"/_sandbox/oauth2/x":                                     false,
		"/oauth/token":                                           false,
		"/":                                                      false,
		"//oauth2/token":                                         false,
	} {
		if got := IsTokenPath(path); got != want {
			t.Errorf("IsTokenPath(%q) = %v, want %v", path, got, want)
		}
	}
}

// Identify names publisher and client before the handler runs, and leaves
// the body for the handler.
func TestIdentify(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.tokenV2()
	cases := []struct {
		name, path, body, auth string
		publisher, client      string
	}{
		{"form body", v2Path, v2Form().Encode(), "", "contoso", appA},
		{"basic header", v2Path, "grant_type=client_credentials", "Basic " + "OTk5OTk5OTktODg4OC00Nzc3LTg2NjYtNTU1NTU1NTU1NTU1OnM=", "fabrikam", appB},
		{"bearer token", "/api/saas/subscriptions", "", "Bearer " + tok, "contoso", appA},
		{"unknown client", v2Path, "client_id=someone", "", "", "someone"},
		{"nothing", "/api/saas/subscriptions", "", "", "", ""},
		{"garbage bearer", "/api/saas/subscriptions", "", "Bearer x.y.z", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			p, c := e.issuer.Identify(r)
			if p != tc.publisher || c != tc.client {
				t.Errorf("Identify = %q, %q; want %q, %q", p, c, tc.publisher, tc.client)
			}
			if f, err := readForm(r, 1<<16); err != nil || len(tc.body) > 0 && len(f) == 0 {
				t.Errorf("the body was consumed: %v %v", f, err)
			}
		})
	}
}

// The journal masks the client secrets and the signature of every issued
// token.
func TestSecrets(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.tokenV2()
	webhook, _ := e.issuer.SignWebhook(tenantA, appA)
	s := e.issuer.Secrets()
	if strings.Join(s.Fixed, " ") != secretA+" "+secretB && strings.Join(s.Fixed, " ") != secretB+" "+secretA {
		t.Errorf("Fixed %v", s.Fixed)
	}
	for _, token := range []string{tok, webhook} {
		sig := token[strings.LastIndexByte(token, '.')+1:]
		if len(sig) != s.IssuedLength || !s.Issued(sig) {
			t.Errorf("signature of %q not recognised", token)
		}
	}
	if s.Issued(strings.Repeat("A", signatureLength)) {
		t.Error("an arbitrary run is taken for a signature")
	}
}

// The remembered signatures are bounded: the oldest are forgotten.
func TestIssuedSignaturesBounded(t *testing.T) {
	var s issuedSignatures
	sig := func(n int) string { return fmt.Sprintf("%0*d", signatureLength, n) }
	for n := range maxRemembered + 10 {
		s.add("h.p." + sig(n))
	}
	if s.has(sig(0)) || !s.has(sig(maxRemembered+9)) || s.recent.len() != maxRemembered {
		t.Errorf("set holds %d; oldest kept %v", s.recent.len(), s.has(sig(0)))
	}
}
