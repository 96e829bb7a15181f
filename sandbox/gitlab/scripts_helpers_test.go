package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

var jsonHeader = map[string]string{"Content-Type": "application/json"}

// postScript adds a back-office script through the control API.
func postScript(t *testing.T, srv *sandboxtest.Server, body string) reply {
	t.Helper()
	return call(t, http.MethodPost, srv.URL+"/_sandbox/gitlab/scripts", jsonHeader, []byte(body))
}

// mustScript adds a script and fails the test unless it was stored.
func mustScript(t *testing.T, srv *sandboxtest.Server, body string) string {
	t.Helper()
	r := postScript(t, srv, body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST script %s: %d %s", body, r.status, r.raw)
	}
	return r.json["id"].(string)
}

// subscriptionRecord is the control API's full record of one order.
func subscriptionRecord(t *testing.T, srv *sandboxtest.Server, partner, ext string) map[string]any {
	t.Helper()
	subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions?partner="+partner+"&externalSubscriptionId="+ext, "subscriptions")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions %s/%s, want 1", len(subs), partner, ext)
	}
	return subs[0]
}

func events(sub map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range sub["timeline"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// transitions is the status path of a timeline, e.g. "Creating>Created>Failed".
func transitions(sub map[string]any) string {
	var path []string
	for _, e := range events(sub) {
		if e["kind"] == "status" {
			path = append(path, e["to"].(string))
		}
	}
	return strings.Join(path, ">")
}

// scriptedEvent finds the timeline event of kind caused by script id
// whose detail contains text.
func scriptedEvent(t *testing.T, sub map[string]any, kind, id, text string) {
	t.Helper()
	for _, e := range events(sub) {
		by, _ := e["script"].(string)
		if e["kind"] == kind && by == id && strings.Contains(e["detail"].(string), text) {
			return
		}
	}
	t.Errorf("no %s event by script %s containing %q in timeline %v", kind, id, text, sub["timeline"])
}

func deliveriesOf(t *testing.T, srv *sandboxtest.Server, number string) []map[string]any {
	t.Helper()
	return controlList(t, srv, "/_sandbox/gitlab/callouts?subscriptionNumber="+number, "deliveries")
}

// authenticated keeps the deliveries that carried credentials, so the
// challenge round-trips do not blur a story about attempts.
func authenticated(ds []map[string]any) []map[string]any {
	var out []map[string]any
	for _, d := range ds {
		if d["credentials"] == true {
			out = append(out, d)
		}
	}
	return out
}

// lifecycle is a story told with the clock: the status right after create,
// then after each advance.
type lifecycle struct {
	created string
	steps   []step
	path    string // the status transitions at the end
	check   func(t *testing.T, srv *sandboxtest.Server, sub map[string]any)
}

type step struct {
	advance time.Duration
	want    string
}

// run places body for demo-partner and walks the story.
func (l lifecycle) run(t *testing.T, srv *sandboxtest.Server, body map[string]any) {
	t.Helper()
	tok := token(t, srv, "demo-partner", scopeCreate)
	ext := body["externalSubscriptionId"].(string)
	r := create(t, srv, tok, body)
	if r.status != http.StatusCreated || r.json["status"] != l.created {
		t.Fatalf("create: %d %s, want status %s", r.status, r.raw, l.created)
	}
	for i, s := range l.steps {
		srv.Advance(s.advance)
		tok = token(t, srv, "demo-partner", scopeRead) // steps may outlive a token
		if got := statusOf(t, srv, tok, ext); got != s.want {
			t.Fatalf("step %d (advance %v): status %s, want %s", i+1, s.advance, got, s.want)
		}
	}
	sub := subscriptionRecord(t, srv, "demo-partner", ext)
	if got := transitions(sub); got != l.path {
		t.Errorf("transitions %s, want %s", got, l.path)
	}
	if l.check != nil {
		l.check(t, srv, sub)
	}
}
