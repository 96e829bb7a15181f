package journal_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

const (
	knownSecret = "demo-secret-value"
	knownToken  = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd" + "e"
)

// encodings are the ways a hostile client may spell a secret.
var encodings = []func(string) string{
	func(s string) string { return s },
	url.QueryEscape,
	func(s string) string { // every byte percent-encoded
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
		return b.String()
	},
	func(s string) string { // JSON \\u escapes
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	},
}

// journalOne journals one request built by place with the secret spelled
// by enc, and returns the stored entry as JSON.
func journalOne(t *testing.T, secret string, enc func(string) string, place uint8, filler string, bodyBytes int) string {
	t.Helper()
	s := journal.DefaultSettings()
	s.BodyBytes = bodyBytes
	store := journal.NewStore(s)
	rec := journal.NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		journal.WithSecrets(journal.Secrets{Fixed: []string{knownSecret}, Issued: func(v string) bool { return v == knownToken }, IssuedLength: len(knownToken)}))
	v := enc(secret)
	path, query, body, header := "/x", "", "", http.Header{}
	switch place % 6 {
	case 0:
		path = "/x/" + url.PathEscape(filler) + v
	case 1:
		query = "q=" + url.QueryEscape(filler) + "&weird=" + v
	case 2:
		header.Set("X-Debug", filler+v)
	case 3:
		body = `{"nested":{"value":"` + strings.ReplaceAll(filler, `"`, "") + v + `"}}`
	case 4:
		body = "note=" + url.QueryEscape(filler) + v
	case 5:
		header.Set("Cookie", v)
	}
	req := httptest.NewRequest(http.MethodPost, "http://sandbox"+path+"?"+query, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Echo", v)
		_, _ = w.Write([]byte(`{"access":"` + v + `"}`))
	}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	res := store.Find(journal.Query{})
	raw, _ := json.Marshal(res.Entries)
	return string(raw)
}

// survives reports whether secret can be read back from the entry: raw,
// or once percent- and JSON-decoded.
func survives(entry, secret string) bool {
	var decoded any
	_ = json.Unmarshal([]byte(entry), &decoded)
	flat, _ := json.Marshal(decoded)
	for _, text := range []string{entry, string(flat)} {
		if strings.Contains(text, secret) {
			return true
		}
		if d, err := url.QueryUnescape(text); err == nil && strings.Contains(d, secret) {
			return true
		}
		if d, err := url.PathUnescape(text); err == nil && strings.Contains(d, secret) {
			return true
		}
	}
	return false
}

func TestJournalShowsNoKnownSecretAnywhere(t *testing.T) {
	for _, secret := range []string{knownSecret, knownToken} {
		for e, enc := range encodings {
			for place := range uint8(6) {
				t.Run(fmt.Sprintf("%s/enc%d/place%d", secret[:4], e, place), func(t *testing.T) {
					if entry := journalOne(t, secret, enc, place, "x", 4096); survives(entry, secret) {
						t.Errorf("secret survived: %s", entry)
					}
				})
			}
		}
	}
}

func TestJournalMasksASecretCutByBodyBytes(t *testing.T) {
	entry := journalOne(t, knownSecret, encodings[0], 4, strings.Repeat("a", 10), 20)
	if strings.Contains(entry, knownSecret[:8]) {
		t.Errorf("the start of a cut secret survived: %s", entry)
	}
}

// FuzzJournalShowsNoKnownSecret puts a known secret, spelled in one of the
// encodings, after arbitrary text in one of the places a request carries
// text, and checks that it cannot be read back from the entry.
func FuzzJournalShowsNoKnownSecret(f *testing.F) {
	f.Add("x", uint8(0), uint8(0), false)
	f.Add("a=b&c", uint8(1), uint8(1), true)
	f.Add(`{"k":"`, uint8(3), uint8(3), false)
	f.Add("demo-secret-valu", uint8(4), uint8(2), true)
	f.Fuzz(func(t *testing.T, filler string, place, enc uint8, token bool) {
		if !strings.ContainsFunc(filler, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			secret := knownSecret
			if token {
				secret = knownToken
			}
			entry := journalOne(t, secret, encodings[int(enc)%len(encodings)], place, filler, 4096)
			if survives(entry, secret) {
				t.Fatalf("secret survived: %s", entry)
			}
		}
	})
}
