package journal

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRecorderKeepsTheBodyWholeForTheHandler journals bodies around the
// body_bytes cut, of known and unknown length, and checks that the handler
// still reads every byte and the entry says what it kept.
func TestRecorderKeepsTheBodyWholeForTheHandler(t *testing.T) {
	const cut = 16
	store := NewStore(Settings{MaxEntries: 100, MaxBytes: 1 << 20, BodyBytes: cut})
	rec := NewRecorder(store, Settings{MaxEntries: 100, BodyBytes: cut}, time.Now, func(*http.Request) string { return "gitlab" })
	var read string
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		read = string(b)
		_, _ = io.WriteString(w, "ok")
	}))
	for _, n := range []int{0, 1, cut - 1, cut, cut + 1, 600, 10000} {
		for _, known := range []bool{true, false} {
			body := strings.Repeat("abcdefghij", n/10+1)[:n]
			r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
			if !known {
				r.ContentLength = -1 // as a chunked request arrives
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if read != body {
				t.Errorf("%d bytes (length known %v): the handler read %d bytes", n, known, len(read))
			}
			res := store.Find(Query{Limit: 1})
			got := res.Entries[0].Request
			wantKept := body[:min(n, cut)]
			if got.Body != wantKept || got.Truncated != (n > cut) || (known || n <= cut) && got.BodyBytes != int64(n) {
				t.Errorf("%d bytes (length known %v): entry kept %q, truncated %v, bodyBytes %d", n, known, got.Body, got.Truncated, got.BodyBytes)
			}
		}
	}
}
