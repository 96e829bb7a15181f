package emulatorfake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/emulatorfake"
)

// delivery is one webhook the emulator sent.
type delivery struct {
	header  http.Header
	payload map[string]any
}

// webhookReceiver answers every webhook with status and hands it on.
func webhookReceiver(t *testing.T, status int) (string, <-chan delivery) {
	t.Helper()
	got := make(chan delivery, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p map[string]any
		_ = json.Unmarshal(b, &p)
		got <- delivery{r.Header.Clone(), p}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", got
}

func receive(t *testing.T, got <-chan delivery) delivery {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(2 * time.Second):
		t.Fatal("no webhook")
		return delivery{}
	}
}

const fastPatch = 50 * time.Millisecond

func TestLifecycleEventsSendSucceededWebhooks(t *testing.T) {
	hook, got := webhookReceiver(t, http.StatusInternalServerError) // the answer changes nothing
	srv := start(t, emulatorfake.WithWebhookURL(hook), emulatorfake.WithWebhookPatchDelay(fastPatch))
	purchase(t, srv, "s", true)
	steps := []struct{ action, before, after string }{
		{"suspend", "Subscribed", "Suspended"},
		{"reinstate", "Suspended", "Subscribed"},
		{"renew", "Subscribed", "Subscribed"},
		{"unsubscribe", "Subscribed", "Unsubscribed"},
	}
	for _, st := range steps {
		t.Run(st.action, func(t *testing.T) {
			a := call(t, srv, "POST", "/api/webhook/subscription/s/"+st.action, "", "api-version", "2018-08-31")
			if a.status != 202 || a.header.Get("Operation-Id") != "" ||
				!strings.HasSuffix(a.header.Get("Operation-Location"), "?api-version=2018-08-31") {
				t.Fatalf("got %d %v", a.status, a.header)
			}
			d := receive(t, got)
			p := d.payload
			sub, _ := p["subscription"].(map[string]any)
			if p["operationRequestedSource"] != "Azure" || p["status"] != "Succeeded" || p["purchaseToken"] != nil ||
				!strings.EqualFold(p["action"].(string), st.action) || sub["saasSubscriptionStatus"] != st.before {
				t.Errorf("payload %v", p)
			}
			if _, ok := p["purchaseToken"]; !ok {
				t.Error("purchaseToken missing, want null")
			}
			if d.header.Get("Content-Type") != "application/json" || d.header.Get("Authorization") != "" {
				t.Errorf("headers %v", d.header)
			}
			eventually(t, st.after, func() bool { return statusOf(t, srv, "s")() == st.after })
		})
	}
}

func TestChangeEventAcknowledgement(t *testing.T) {
	tests := []struct {
		name     string
		answer   int
		settle   string // PATCH sent after the webhook, or ""
		status   string // the operation at the end
		planID   string // the subscription at the end
		quantity any
	}{
		{"2xx and no PATCH: auto-accepted after the patch delay", 200, "", "Succeeded", "seat-pro", nil},
		{"2xx then Failure within the delay stands", 200, "Failure", "Failed", "seat-basic", nil},
		{"2xx then Success within the delay", 202, "Success", "Succeeded", "seat-pro", nil},
		{"4xx fails it at once", 400, "", "Failed", "seat-basic", nil},
		{"5xx fails it at once", 503, "", "Failed", "seat-basic", nil},
		{"a string quantity is stored as a string", 200, "", "Succeeded", "seat-basic", "12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hook, got := webhookReceiver(t, tc.answer)
			srv := start(t, emulatorfake.WithWebhookURL(hook), emulatorfake.WithWebhookPatchDelay(4*fastPatch))
			purchase(t, srv, "s", true)
			body := `{"planId":"seat-pro"}`
			if tc.quantity != nil {
				body = `{"quantity":"12"}`
			}
			if a := call(t, srv, "PATCH", "/api/webhook/subscription/s", body); a.status != 202 ||
				!strings.HasSuffix(a.header.Get("Operation-Location"), "?api-version=undefined") {
				t.Fatalf("event: %d %v", a.status, a.header)
			}
			p := receive(t, got).payload
			if p["status"] != "InProgress" {
				t.Errorf("ACKable payload status %v", p["status"])
			}
			opID := p["id"].(string)
			if tc.settle != "" {
				a := call(t, srv, "PATCH", "/api/saas/subscriptions/s/operations/"+opID+v, `{"status":"`+tc.settle+`"}`)
				if a.status != 200 || a.body != "OK" {
					t.Fatalf("settle: %d %s", a.status, a.body)
				}
			}
			op := func() map[string]any {
				return call(t, srv, "GET", "/api/saas/subscriptions/s/operations/"+opID+v, "").json(t)
			}
			eventually(t, "operation "+tc.status, func() bool { return op()["status"] == tc.status })
			time.Sleep(6 * fastPatch) // past the auto-accept: a settled operation must not move
			if got := op()["status"]; got != tc.status {
				t.Errorf("operation %v after the patch delay, want %s", got, tc.status)
			}
			sub := stored(t, srv, "s")
			if sub["planId"] != tc.planID || tc.quantity != nil && sub["quantity"] != tc.quantity {
				t.Errorf("subscription plan %v quantity %v", sub["planId"], sub["quantity"])
			}
		})
	}
}

func TestEventAnswersBeforeAnyWebhook(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "s", true)
	purchase(t, srv, "p", false)
	tests := []struct {
		name, method, path, body string
		status                   int
		answer                   string
	}{
		{"unknown id is 404 text", "POST", "/api/webhook/subscription/zz/suspend", "", 404, "Not Found"},
		{"validation is 400 text", "PATCH", "/api/webhook/subscription/s", `{"planId":"seat-basic"}`, 400, ""},
		{"catalogue check", "PATCH", "/api/webhook/subscription/s", `{"planId":"nope"}`, 400, "Request Plan is NOT in Catalog."},
		{"no webhook URL still 202", "POST", "/api/webhook/subscription/s/renew", "", 202, "Accepted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, tc.method, tc.path, tc.body)
			if a.status != tc.status || !strings.Contains(a.body, tc.answer) || strings.HasPrefix(a.body, "{") {
				t.Errorf("got %d %s", a.status, a.body)
			}
		})
	}
}

func TestWrongStateEventNeverAnswers(t *testing.T) {
	srv := start(t)
	purchase(t, srv, "p", false)
	for _, path := range []string{"/api/webhook/subscription/p/suspend", "/api/webhook/subscription/p/reinstate"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s answered %d, want no answer", path, resp.StatusCode)
		}
	}
	if ops := operations(t, srv, "p"); len(ops) != 0 {
		t.Errorf("a hanging event stored %v", ops)
	}
}

func TestCloseReleasesHangingRequestsAndTimers(t *testing.T) {
	e := emulatorfake.New(emulatorfake.WithWebhookPatchDelay(time.Hour))
	srv := httptest.NewServer(e)
	defer srv.Close()
	purchase(t, srv, "p", false)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/api/webhook/subscription/p/suspend", "", nil)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	e.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the hanging request was answered")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close left the request hanging")
	}
}
