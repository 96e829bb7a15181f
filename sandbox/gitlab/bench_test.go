package gitlab_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// benchHandler builds a sandbox and returns its handler with a create
// token, without a network in between: these benchmarks measure the
// portal's own cost per request.
func benchHandler(b *testing.B) (http.Handler, string) {
	b.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Clock = "frozen"
	sb, err := sandbox.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := sb.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, tokenRequest())
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	return h, tok
}

func tokenRequest() *http.Request {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-partner"},
		"client_secret": {"demo-secret"}, "scope": {scopeRead + " " + scopeCreate}}
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func BenchmarkToken(b *testing.B) {
	h, _ := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tokenRequest())
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

// postOrder sends one create request straight to the handler.
func postOrder(h http.Handler, tok string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, subsPath, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func BenchmarkCreate(b *testing.B) {
	h, tok := benchHandler(b)
	template := string(mustJSONb(order("EXT")))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := strings.Replace(template, `"EXT"`, fmt.Sprintf(`"bench-%d"`, i), 1)
		if rec := postOrder(h, tok, []byte(body)); rec.Code != http.StatusCreated {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

func BenchmarkCreateInvalid(b *testing.B) {
	h, tok := benchHandler(b)
	body := mustJSONb(without("bad", "customer"))
	b.ReportAllocs()
	for b.Loop() {
		if rec := postOrder(h, tok, body); rec.Code != http.StatusUnprocessableEntity {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

func BenchmarkStatus(b *testing.B) {
	h, tok := benchHandler(b)
	postOrder(h, tok, mustJSONb(order("bench-status")))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, subsPath+"/bench-status", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

func mustJSONb(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkStatusProvisioned reads the status of a provisioned order,
// which the store keeps frozen and thaws on each read.
func BenchmarkStatusProvisioned(b *testing.B) {
	cfg := sandbox.DefaultConfig()
	cfg.Clock = "frozen"
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	sb, err := sandbox.New(cfg, sandbox.WithBaseURL(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	h = sb.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, tokenRequest())
	tok := strings.Split(strings.Split(rec.Body.String(), `"access_token":"`)[1], `"`)[0]
	postOrder(h, tok, mustJSONb(order("bench-final")))
	sb.Clock().Advance(b.Context(), time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, subsPath+"/bench-final", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Provisioned") {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}
