package journal

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestNotesAreTheSandboxsOwnEntries: a note is journaled with the sandbox
// direction, which the direction filter finds and neither the inbound
// nor the outbound one does, whatever direction or URL it was given.
func TestNotesAreTheSandboxsOwnEntries(t *testing.T) {
	s := Settings{MaxEntries: 100, MaxBytes: 1 << 20, BodyBytes: 4096}
	store := NewStore(s)
	rec := NewRecorder(store, s, time.Now, func(*http.Request) string { return "gitlab" })
	rec.Note(Entry{API: "gitlab", Direction: DirectionOutbound, URL: "http://x/", Method: "EVICT", Path: "/_sandbox/gitlab/subscriptions",
		Response: Message{Body: `{"evicted":3,"reason":"max_records"}`, BodyBytes: 36}})

	for _, tc := range []struct {
		direction string
		want      int
	}{{DirectionSandbox, 1}, {DirectionInbound, 0}, {DirectionOutbound, 0}, {"", 1}} {
		got := store.Find(Query{Direction: tc.direction}).Entries
		if len(got) != tc.want {
			t.Errorf("direction %q found %d notes, want %d", tc.direction, len(got), tc.want)
			continue
		}
		if tc.want == 1 && (got[0].Direction != DirectionSandbox || got[0].URL != "" || got[0].Response.Body == "") {
			t.Errorf("note shown as %+v", got[0])
		}
	}
	if q, err := ParseQuery(url.Values{"direction": {DirectionSandbox}}); err != nil || q.Direction != DirectionSandbox {
		t.Errorf("direction=sandbox parsed as %+v, %v", q, err)
	}
}
