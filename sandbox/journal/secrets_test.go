package journal_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

const (
	knownSecret = "demo-secret-value"
	knownToken  = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd" + "e"
	// knownSignature is a credential of a second kind and length, as the
	// sandbox's recorder knows GitLab's tokens and Entra's signatures.
	knownSignature = "Zz9-Yy8_Xx7-Ww6_Vv5-Uu4_Tt3-Ss2_Rr1-Qq0_Pp9-Oo8_Nn7-Mm6_Ll5-Kk4_Jj3-Ii2_Hh1-Gg0"
)

// knownSecrets are the fixed secret and one credential of each kind.
var knownSecrets = []string{knownSecret, knownToken, knownSignature}

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
	func(s string) string { // JSON \u escapes
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	},
}

// places are where a request or its answer carries text: each puts the
// filler, then the spelled secret v, into one place of the exchange.
var places = []func(x *exchange, filler, v string){
	func(x *exchange, filler, v string) { x.path = "/x/" + url.PathEscape(filler) + v },
	func(x *exchange, filler, v string) { x.query = "q=" + url.QueryEscape(filler) + "&weird=" + v },
	func(x *exchange, filler, v string) { x.header.Set("X-Debug", filler+v) },
	func(x *exchange, filler, v string) {
		x.body = `{"nested":{"value":"` + strings.ReplaceAll(filler, `"`, "") + v + `"}}`
	},
	func(x *exchange, filler, v string) { x.body = "note=" + url.QueryEscape(filler) + v },
	func(x *exchange, _, v string) { x.header.Set("Cookie", v) },
	// A header maskHeader passes without looking at its name.
	func(x *exchange, filler, v string) { x.header.Set("User-Agent", filler+v) },
	// A correlation header, whose value the entry also lists, and which
	// is the request id when it is a safe one.
	func(x *exchange, filler, v string) { x.header.Set("X-Ms-Requestid", filler+v) },
	// The answer's headers: Location is one maskHeader passes.
	func(x *exchange, filler, v string) {
		x.answerHeader.Set("Location", "/next?"+url.QueryEscape(filler)+v)
	},
	// The request id of every marketplace, also a header maskHeader passes.
	func(x *exchange, filler, v string) { x.header.Set("X-Request-Id", filler+v) },
}

// exchange is one request and what the handler answers besides echoing
// its body.
type exchange struct {
	path, query, body    string
	header, answerHeader http.Header
}

// journalTwice journals the same request twice, the second time with its
// bodies masked from the recorder's cache, through a recorder that knows
// the fixed secret and two kinds of credential, as the sandbox's does; it
// returns the stored entries as JSON. The request ids are read as the
// sandbox reads them, before the journal. The handler echoes the request's
// body and answers the secret in a JSON body and a header of its own.
func journalTwice(t *testing.T, secret string, enc func(string) string, place uint8, filler string, bodyBytes int) string {
	t.Helper()
	s := journal.DefaultSettings()
	s.BodyBytes = bodyBytes
	store := journal.NewStore(s)
	rec := journal.NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		journal.WithSecrets(journal.Secrets{Fixed: []string{knownSecret}, Issued: func(v string) bool { return v == knownToken }, IssuedLength: len(knownToken)}),
		journal.WithSecrets(journal.Secrets{Issued: func(v string) bool { return v == knownSignature }, IssuedLength: len(knownSignature)}),
		journal.WithCorrelationHeaders("X-Ms-Requestid"))
	v := enc(secret)
	x := exchange{path: "/x", header: http.Header{}, answerHeader: http.Header{}}
	places[int(place)%len(places)](&x, filler, v)
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range x.answerHeader {
			w.Header()[k] = vs
		}
		w.Header().Set("X-Echo", v)
		echo, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte(`{"access":"`+v+`"}`), echo...))
	}))
	// As in the sandbox, the request id is read (from X-Ms-Requestid,
	// then X-Request-Id) before the journal sees the request.
	h = requestid.Middleware(h, requestid.WithHeaders(func(*http.Request) []string { return []string{"X-Ms-Requestid"} }))
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "http://sandbox"+x.path+"?"+x.query, strings.NewReader(x.body))
		for k, vs := range x.header {
			req.Header[k] = vs
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	res := store.Find(journal.Query{})
	if len(res.Entries) != 2 {
		t.Fatalf("%d entries journaled, want 2", len(res.Entries))
	}
	raw, _ := json.Marshal(res.Entries)
	return string(raw)
}

// survives reports whether secret can be read back from the entries:
// from any string in them (a name or a value) as it stands, or with one
// layer of percent- or JSON-escapes undone (leniently, as a person reading
// it would: a bad escape stays as it is). A path is also read after
// undoing the percent-encoding the journal itself gives it (EscapedPath),
// then a JSON escape of the client's.
func survives(entries, secret string) bool {
	var decoded any
	if err := json.Unmarshal([]byte(entries), &decoded); err != nil {
		panic(err)
	}
	found := false
	walkStrings(decoded, "", func(key, s string) {
		readings := []string{s, percentDecoded(s), jsonDecoded(s)}
		if key == "path" {
			readings = append(readings, jsonDecoded(percentDecoded(s)))
		}
		for _, r := range readings {
			found = found || strings.Contains(r, secret)
		}
	})
	return found
}

// walkStrings calls f with every string of v, object keys included, and
// the name of the member it is the value of.
func walkStrings(v any, key string, f func(key, s string)) {
	switch x := v.(type) {
	case string:
		f(key, x)
	case []any:
		for _, e := range x {
			walkStrings(e, key, f)
		}
	case map[string]any:
		for k, e := range x {
			f("", k)
			walkStrings(e, k, f)
		}
	}
}

// percentDecoded undoes every valid %XX escape.
func percentDecoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// jsonDecoded undoes JSON string escapes: \uXXXX and the one-letter ones;
// a backslash escapes whatever follows it.
func jsonDecoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '\\' || i+1 == len(s):
			b.WriteByte(s[i])
		case s[i+1] == 'u' && i+6 <= len(s) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			n, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
			b.WriteRune(rune(n))
			i += 5
		default:
			b.WriteString(map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 'b': "\b", 'f': "\f"}[s[i+1]])
			if !strings.ContainsRune("ntrbf", rune(s[i+1])) {
				b.WriteByte(s[i+1])
			}
			i++
		}
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func TestJournalShowsNoKnownSecretAnywhere(t *testing.T) {
	for _, secret := range knownSecrets {
		for e, enc := range encodings {
			for place := range uint8(len(places)) {
				t.Run(fmt.Sprintf("%s/enc%d/place%d", secret[:4], e, place), func(t *testing.T) {
					if entries := journalTwice(t, secret, enc, place, "x", 4096); survives(entries, secret) {
						t.Errorf("secret survived: %s", entries)
					}
				})
			}
		}
	}
}

// TestSurvivesReadsEverySpelling: the fuzz target's oracle finds each
// secret in each spelling, in every place, when nothing masks it.
func TestSurvivesReadsEverySpelling(t *testing.T) {
	for _, secret := range knownSecrets {
		for e, enc := range encodings {
			for place := range uint8(len(places)) {
				x := exchange{path: "/x", header: http.Header{}, answerHeader: http.Header{}}
				places[place](&x, "x", enc(secret))
				req := httptest.NewRequest(http.MethodPost, "http://sandbox"+x.path+"?"+x.query, nil)
				plain := journal.Entry{Path: req.URL.EscapedPath(), Query: x.query,
					Request:  journal.Message{Headers: x.header, Body: x.body},
					Response: journal.Message{Headers: x.answerHeader}}
				raw, _ := json.Marshal([]journal.Entry{plain})
				if !survives(string(raw), secret) {
					t.Errorf("%s/enc%d/place%d: the oracle does not see %s", secret[:4], e, place, raw)
				}
			}
		}
	}
}

func TestJournalMasksASecretCutByBodyBytes(t *testing.T) {
	entries := journalTwice(t, knownSecret, encodings[0], 4, strings.Repeat("a", 10), 20)
	if strings.Contains(entries, knownSecret[:8]) {
		t.Errorf("the start of a cut secret survived: %s", entries)
	}
}

// FuzzJournalShowsNoKnownSecret puts a known secret (the fixed one, or a
// credential of either kind the recorder knows), spelled in one of the
// encodings, after arbitrary text in one of the places a request or its
// answer carries text (a header maskHeader passes by name and a
// correlation header among them), journals it twice (the second time
// from the cache of masked bodies), and checks that it cannot be read
// back from either entry, even with one layer of escapes undone.
func FuzzJournalShowsNoKnownSecret(f *testing.F) {
	f.Add("x", uint8(0), uint8(0), uint8(0))
	f.Add("a=b&c", uint8(1), uint8(1), uint8(1))
	f.Add(`{"k":"`, uint8(3), uint8(3), uint8(0))
	f.Add("demo-secret-valu", uint8(4), uint8(2), uint8(1))
	f.Add("Mozilla/5.0 ", uint8(6), uint8(1), uint8(2))
	f.Add("0-", uint8(7), uint8(0), uint8(2))
	f.Add("a&b=", uint8(8), uint8(2), uint8(1))
	f.Add("req-", uint8(9), uint8(0), uint8(1))
	f.Add(`\`, uint8(3), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, filler string, place, enc, which uint8) {
		if !strings.ContainsFunc(filler, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			secret := knownSecrets[int(which)%len(knownSecrets)]
			entries := journalTwice(t, secret, encodings[int(enc)%len(encodings)], place, filler, 4096)
			if survives(entries, secret) {
				t.Fatalf("secret survived: %s", entries)
			}
		}
	})
}
