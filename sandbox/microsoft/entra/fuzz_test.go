package entra

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FuzzTokenForm posts arbitrary bodies, content types and Authorization
// headers to both token endpoints: the answer is never a 5xx, and is
// either a token or Entra's error envelope.
func FuzzTokenForm(f *testing.F) {
	f.Add(v2Form().Encode(), "application/x-www-form-urlencoded", "", true)
	f.Add(v1Form().Encode(), "", "", false)
	f.Add("grant_type=client_credentials&scope=%zz", "application/x-www-form-urlencoded; charset=utf-8", "Basic !!", true)
	f.Add("client_id=a&client_id=b", "text/plain", "Bearer x", false)
	f.Add("scope=openid+"+FulfillmentResource+"/.default&grant_type=client_credentials", "application/x-www-form-urlencoded", "basic OmE=", true)
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, body, contentType, auth string, v2 bool) {
		path := v1Path
		if v2 {
			path = v2Path
		}
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(w, r)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%d, not JSON: %q", w.Code, w.Body.String())
		}
		switch {
		case w.Code >= 500:
			t.Fatalf("%d: %s", w.Code, w.Body.String())
		case w.Code == http.StatusOK:
			if m["access_token"] == nil {
				t.Fatalf("200 without a token: %s", w.Body.String())
			}
		default:
			codes, _ := m["error_codes"].([]any)
			desc, _ := m["error_description"].(string)
			if m["error"] == nil || len(codes) != 1 || !strings.HasPrefix(desc, "AADSTS") {
				t.Fatalf("%d, not the envelope: %s", w.Code, w.Body.String())
			}
		}
	})
}

// Token requests, authentications and fixture restores run at once
// without a race (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	for n := range 8 {
		wg.Go(func() {
			for range 5 {
				tok := e.tokenV2()
				if n%2 == 0 {
					e.issuer.SetApps(testApps)
				}
				if _, err := e.issuer.Authenticate(bearer(tok)); err != nil {
					t.Errorf("Authenticate: %v", err)
				}
				_ = e.issuer.Secrets()
				e.issuer.Identify(bearer(tok))
			}
		})
	}
	wg.Wait()
}
