package journal_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// TestJournalMasksARepeatedAnswerEveryTime: an answer given again and
// again is masked from what the journal remembers of it; every entry
// must still show it masked, including after the credential in it is
// forgotten by the issuer (revoked), and a new answer holding a
// credential issued later must be masked too.
func TestJournalMasksARepeatedAnswerEveryTime(t *testing.T) {
	var issued atomic.Value
	issued.Store(knownToken)
	s := journal.DefaultSettings()
	store := journal.NewStore(s)
	rec := journal.NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		journal.WithSecrets(journal.Secrets{Fixed: []string{knownSecret}, IssuedLength: len(knownToken),
			Issued: func(v string) bool { return v == issued.Load().(string) }}))
	answer := ""
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(answer)) }))
	serve := func(body string) string {
		t.Helper()
		answer = body
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		res := store.Find(journal.Query{})
		raw, _ := json.Marshal(res.Entries[len(res.Entries)-1].Response.Body)
		return string(raw)
	}
	later := strings.Repeat("Z", len(knownToken)-1) + "9"
	cases := []struct {
		name, body string
		before     func()
		hidden     string
	}{
		{"a fixed secret", `{"note":"` + knownSecret + `"}`, nil, knownSecret},
		{"the same answer again", `{"note":"` + knownSecret + `"}`, nil, knownSecret},
		{"an issued token", `{"t":"` + knownToken + `"}`, nil, knownToken},
		{"the same answer once the token is revoked", `{"t":"` + knownToken + `"}`, func() { issued.Store("") }, knownToken},
		{"a token issued after the cache filled", `{"t":"` + later + `"}`, func() { issued.Store(later) }, later},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			if got := serve(tc.body); strings.Contains(got, tc.hidden) || !strings.Contains(got, "****") {
				t.Errorf("journaled body %s: want %q masked", got, tc.hidden)
			}
		})
	}
	t.Run("a plain answer is kept as it is", func(t *testing.T) {
		for range 3 {
			if got := serve(`{"status":"Subscribed"}`); got != `"{\"status\":\"Subscribed\"}"` {
				t.Fatalf("journaled body %s", got)
			}
		}
	})
}

// TestJournalKeepsAnAnswerThatGoesOnAfterARememberedStart: an answer
// whose first write matches a remembered answer, and which then writes
// more, is journaled whole (the remembered start, taken without a copy,
// is not lost), masked as ever.
func TestJournalKeepsAnAnswerThatGoesOnAfterARememberedStart(t *testing.T) {
	s := journal.DefaultSettings()
	store := journal.NewStore(s)
	rec := journal.NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		journal.WithSecrets(journal.Secrets{Fixed: []string{knownSecret}}))
	var writes []string
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for _, p := range writes {
			_, _ = w.Write([]byte(p))
		}
	}))
	last := func() string {
		res := store.Find(journal.Query{})
		return res.Entries[len(res.Entries)-1].Response.Body
	}
	first := `{"note":"` + knownSecret + `",`
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"the start, alone, remembered", []string{first}, `{"note":"****",`},
		{"the same start, then more", []string{first, `"more":1}`}, `{"note":"****","more":1}`},
		{"the same start once more", []string{first}, `{"note":"****",`},
		{"the start, then a secret", []string{first, `"s":"` + knownSecret + `"}`}, `{"note":"****","s":"****"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writes = tc.writes
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
			if got := last(); got != tc.want {
				t.Errorf("journaled %q, want %q", got, tc.want)
			}
		})
	}
}

// TestJournalCutsAnAnswerWrittenAtOnce: an answer longer than body_bytes,
// new to the journal, in one write or in a first that fits and a second
// that does not, is cut and marked so.
func TestJournalCutsAnAnswerWrittenAtOnce(t *testing.T) {
	s := journal.DefaultSettings()
	s.BodyBytes = 16
	store := journal.NewStore(s)
	rec := journal.NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" })
	for _, n := range []int{15, 16, 17, 40} {
		answer := strings.Repeat(string(rune('a'+n%26)), n) // each new to the journal
		for _, split := range []int{n, min(n, 16)} {
			rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(answer[:split]))
				if split < n {
					_, _ = w.Write([]byte(answer[split:]))
				}
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
			res := store.Find(journal.Query{})
			got := res.Entries[len(res.Entries)-1].Response
			if want := answer[:min(n, 16)]; got.Body != want || got.Truncated != (n > 16) || got.BodyBytes != int64(n) {
				t.Errorf("%d bytes, first write %d: journaled %q (truncated %v, %d bytes), want %q", n, split, got.Body, got.Truncated, got.BodyBytes, want)
			}
		}
	}
}
