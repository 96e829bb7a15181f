package entra

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// Behind the journal, a token request is attributed to its publisher and
// app, and neither the client secret nor an issued token's signature is
// kept, wherever a client puts them.
func TestJournalAttributionAndMasking(t *testing.T) {
	e := newEnv(t, nil)
	store := journal.NewStore(journal.DefaultSettings())
	r := mux.NewRouter()
	e.issuer.Routes(r)
	r.NotFoundHandler = http.HandlerFunc(e.issuer.NotFound)
	rec := journal.NewRecorder(store, journal.DefaultSettings(), e.clock.Now,
		func(*http.Request) string { return "microsoft" }, journal.WithSecrets(e.issuer.Secrets()),
		journal.WithIdentify(func(r *http.Request, _ string) (string, string) { return e.issuer.Identify(r) }))
	h := rec.Wrap(r)

	serve := func(req *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	req := httptest.NewRequest(http.MethodPost, v2Path, strings.NewReader(v2Form().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := serve(req)
	if w.Code != http.StatusOK {
		t.Fatalf("token: %d %s", w.Code, w.Body.String())
	}
	tok := w.Body.String()
	tok = tok[strings.Index(tok, `"access_token":"`)+len(`"access_token":"`):]
	tok = tok[:strings.IndexByte(tok, '"')]
	sig := tok[strings.LastIndexByte(tok, '.')+1:]

	leak := httptest.NewRequest(http.MethodGet, "/"+tenantA+"/oauth2/v2.0/nowhere", nil)
	leak.Header.Set("X-Debug", "token="+tok)
	leak.Header.Set("Authorization", "Bearer "+tok)
	serve(leak)

	entries := store.Find(journal.Query{}).Entries
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	if entries[0].Partner != "contoso" || entries[0].Client != appA {
		t.Errorf("token request attributed to %q / %q", entries[0].Partner, entries[0].Client)
	}
	if entries[1].Partner != "contoso" {
		t.Errorf("bearer request attributed to %q", entries[1].Partner)
	}
	for _, en := range entries {
		all := en.Request.Body + en.Response.Body + headersText(en.Request.Headers) + headersText(en.Response.Headers)
		if strings.Contains(all, secretA) || strings.Contains(all, sig) {
			t.Errorf("entry %s %s keeps a secret: %s", en.Method, en.Path, all)
		}
	}
}

func headersText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}
