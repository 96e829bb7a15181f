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
	if _, err := ParseQuery(url.Values{"direction": {"sideways"}}); err == nil || !strings.Contains(err.Error(), "inbound or outbound") {
		t.Errorf("bad direction: %v", err)
	}
}
