package journal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOutboundEntriesAreMaskedAndFiltered: a request the sandbox sent is
// journaled with its URL and direction, with the recorder's secrets and
// credential headers masked, and the api and direction filters find it.
func TestOutboundEntriesAreMaskedAndFiltered(t *testing.T) {
	s := Settings{MaxEntries: 100, MaxBytes: 1 << 20, BodyBytes: 4096}
	store := NewStore(s)
	rec := NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		WithSecrets(Secrets{Fixed: []string{"publisher-secret-1"}}))
	rec.Outbound(Entry{API: "microsoft", URL: "https://publisher.example/hook?k=publisher-secret-1", Method: http.MethodPost,
		Path: "/hook", Status: 200, Latency: "3ms",
		Request: Message{Headers: http.Header{"Authorization": {"Bearer eyJhbGciOi.x.y"}},
			Body: `{"action":"Suspend","note":"publisher-secret-1"}`, BodyBytes: 48}})
	rec.Outbound(Entry{API: "microsoft", Method: http.MethodPost}) // no URL: not an outbound entry, ignored

	got := store.Find(Query{API: "microsoft", Direction: DirectionOutbound}).Entries
	if len(got) != 1 {
		t.Fatalf("%d entries", len(got))
	}
	e := got[0]
	if e.Direction != DirectionOutbound || strings.Contains(e.URL, "publisher-secret-1") ||
		strings.Contains(e.Request.Body, "publisher-secret-1") || strings.Contains(e.Request.Headers.Get("Authorization"), "eyJ") {
		t.Errorf("entry not masked: %+v", e)
	}
	if n := len(store.Find(Query{Direction: DirectionInbound}).Entries); n != 0 {
		t.Errorf("inbound filter found %d", n)
	}
	if n := len(store.Find(Query{API: "gitlab"}).Entries); n != 0 {
		t.Errorf("api filter found %d", n)
	}
	if _, err := ParseQuery(url.Values{"direction": {"sideways"}}); err == nil || !strings.Contains(err.Error(), "inbound, outbound or sandbox") {
		t.Errorf("bad direction: %v", err)
	}
}

// TestOutboundRequestsWithoutAnAnswer: a request that got no answer is
// journaled with status 0 and its error, secrets masked in the error as
// in the URL it quotes, and the error filter finds it in any case.
func TestOutboundRequestsWithoutAnAnswer(t *testing.T) {
	s := Settings{MaxEntries: 100, MaxBytes: 1 << 20, BodyBytes: 4096}
	store := NewStore(s)
	rec := NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" },
		WithSecrets(Secrets{Fixed: []string{"publisher-secret-1"}}))
	refused := `Post "http://127.0.0.1:9/hook?k=publisher-secret-1": dial tcp 127.0.0.1:9: connect: connection refused`
	rec.Outbound(Entry{API: "microsoft", URL: "http://127.0.0.1:9/hook", Method: http.MethodPost, Error: refused, Latency: "1ms"})
	rec.Outbound(Entry{API: "microsoft", URL: "http://127.0.0.1:9/hook", Method: http.MethodPost, Status: 200, Latency: "2ms"})

	t.Run("the error is kept, masked", func(t *testing.T) {
		got := store.Find(Query{Direction: DirectionOutbound, Status: -1}).Entries
		if len(got) != 1 {
			t.Fatalf("%d unanswered entries, want 1", len(got))
		}
		if e := got[0]; e.Status != 0 || !strings.Contains(e.Error, "connection refused") || strings.Contains(e.Error, "publisher-secret-1") {
			t.Errorf("entry status %d, error %q", e.Status, e.Error)
		}
	})
	t.Run("the error filter matches part of it in any case", func(t *testing.T) {
		q, err := ParseQuery(url.Values{"error": {"Connection Refused"}, "direction": {"outbound"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(store.Find(q).Entries); n != 1 {
			t.Errorf("error filter found %d, want 1", n)
		}
		if n := len(store.Find(Query{Error: "deadline"}).Entries); n != 0 {
			t.Errorf("a filter for another error found %d", n)
		}
	})
}
