package publisher

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const (
	testTenant = "72f988bf-0000-4000-8000-00000000c0de"
	testApp    = "5a1e7c3d-2b4f-4e6a-9c8d-0000000c0150"
)

// entra serves a discovery document and key set for key under kid.
func entra(t *testing.T, key *rsa.PrivateKey) (*httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer := srv.URL + "/" + testTenant + "/v2.0"
	mux.HandleFunc("/"+testTenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		enc := base64.RawURLEncoding
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "n": enc.EncodeToString(key.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	return srv, issuer
}

func sign(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// The verifier takes Microsoft's webhook JWT and refuses, with the right
// class of answer, every way a delivery can be forged or mis-addressed.
func TestVerifierRefusesForgedAndMisaddressedWebhooks(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv, issuer := entra(t, key)
	v := newVerifier(Env{AuthorityHost: srv.URL, TenantID: testTenant, ClientID: testApp}, srv.Client())
	good := func() map[string]any {
		now := time.Now()
		return map[string]any{"aud": testApp, "iss": issuer, "tid": testTenant, "appid": FulfillmentAppID, "azp": FulfillmentAppID,
			"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
	}
	with := func(pairs ...any) map[string]any {
		c := good()
		for i := 0; i+1 < len(pairs); i += 2 {
			c[pairs[i].(string)] = pairs[i+1]
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"Microsoft's", sign(t, key, "RS256", good()), nil},
		{"aud as a list", sign(t, key, "RS256", with("aud", []string{"x", testApp})), nil},
		{"no token", "", errUnauthenticated},
		{"not a JWT", "abc", errUnauthenticated},
		{"signed by another key", sign(t, other, "RS256", good()), errUnauthenticated},
		{"alg none", sign(t, key, "none", good()), errUnauthenticated},
		{"expired", sign(t, key, "RS256", with("exp", time.Now().Add(-time.Hour).Unix())), errUnauthenticated},
		{"another audience", sign(t, key, "RS256", with("aud", "someone-else")), errForbidden},
		{"another tenant", sign(t, key, "RS256", with("tid", "3c9d2e1f-0000-4000-8000-0000fab41c00")), errForbidden},
		{"another issuer", sign(t, key, "RS256", with("iss", "https://evil.example/v2.0")), errForbidden},
		{"v2: azp only", sign(t, key, "RS256", with("appid", "")), nil},
		{"appid another app", sign(t, key, "RS256", with("appid", testApp)), errForbidden},
		{"neither appid nor azp", sign(t, key, "RS256", with("appid", "x", "azp", "x")), errForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := ""
			if tc.token != "" {
				header = "Bearer " + tc.token
			}
			err := v.verify(context.Background(), header)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}
