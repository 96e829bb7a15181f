package entra

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkTokenV2 is one v2 token request through the handler (form
// decoding, client check, RS256 signing), for BENCHMARKS.md.
func BenchmarkTokenV2(b *testing.B) {
	e := newEnv(b, nil)
	body := v2Form().Encode()
	h := e.srv.Config.Handler
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, v2Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkAuthenticate is the check of one fulfillment API call's token.
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b, nil)
	r := bearer(e.tokenV2())
	for b.Loop() {
		if _, err := e.issuer.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
