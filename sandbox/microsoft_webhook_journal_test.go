package sandbox_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// journalEntry is what these tests read of a GET /_sandbox/journal entry.
type journalEntry struct {
	RequestID      string   `json:"requestId"`
	API            string   `json:"api"`
	Direction      string   `json:"direction"`
	URL            string   `json:"url"`
	Method         string   `json:"method"`
	Path           string   `json:"path"`
	Partner        string   `json:"partner"`
	Status         int      `json:"status"`
	Error          string   `json:"error"`
	LatencyMs      float64  `json:"latencyMs"`
	CorrelationIDs []string `json:"correlationIds"`
	Request        struct {
		Headers http.Header `json:"headers"`
		Body    string      `json:"body"`
	} `json:"request"`
}

// webhookRow is what these tests read of a GET /_sandbox/microsoft/webhooks row.
type webhookRow struct {
	ID        string `json:"id"`
	RequestID string `json:"requestId"`
	Attempt   int    `json:"attempt"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Outcome   string `json:"outcome"`
	Journal   string `json:"journal"`
}

func journalEntries(t *testing.T, base, query string) []journalEntry {
	t.Helper()
	a := mustSend(t, http.MethodGet, base+"/_sandbox/journal?"+query, "")
	var v struct {
		Entries []journalEntry `json:"entries"`
	}
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.raw), &v) != nil {
		t.Fatalf("journal?%s: %d %s", query, a.status, a.raw)
	}
	return v.Entries
}

func webhookRows(t *testing.T, base string) []webhookRow {
	t.Helper()
	var v struct {
		Webhooks []webhookRow `json:"webhooks"`
	}
	if a := mustSend(t, http.MethodGet, base+"/_sandbox/microsoft/webhooks", ""); json.Unmarshal([]byte(a.raw), &v) != nil {
		t.Fatalf("webhooks: %s", a.raw)
	}
	return v.Webhooks
}

// suspendVia points contoso's webhook at hook, buys and activates a
// subscription, and has the marketplace suspend it: one webhook, its
// first attempt a second later, so that the test's own advance fires it
// and waits for it (the clock's Run loop fires nothing on a frozen
// clock that is not due yet).
func suspendVia(t *testing.T, srv *sandboxtest.Server, hook string) {
	t.Helper()
	if a := mustSend(t, http.MethodPost, srv.URL+"/_sandbox/microsoft/webhooks/rules",
		`{"action":"Suspend","delay":"1s"}`, "Content-Type", jsonType); a.status/100 != 2 {
		t.Fatalf("webhook rule: %d %s", a.status, a.raw)
	}
	if a := mustSend(t, http.MethodPatch, srv.URL+"/_sandbox/microsoft/publishers/contoso",
		`{"webhookUrl":"`+hook+`"}`, "Content-Type", jsonType); a.status != http.StatusOK {
		t.Fatalf("patch publisher: %d %s", a.status, a.raw)
	}
	sub := activeSubscription(t, srv.URL, fixtures.Default().Microsoft.Publishers[0])
	if a := mustSend(t, http.MethodPost, srv.URL+"/_sandbox/microsoft/subscriptions/"+sub+"/events",
		`{"action":"Suspend"}`, "Content-Type", jsonType); a.status != http.StatusAccepted {
		t.Fatalf("suspend: %d %s", a.status, a.raw)
	}
}

// TestEveryWebhookAttemptIsJournaled: every request the sandbox makes to
// a publisher's webhook is an outbound entry of the journal, answered or
// not (issue 11): filed under the attempt's own request id (the
// x-ms-requestid the publisher got, and the requestId of the attempt's
// row in /_sandbox/microsoft/webhooks), with the headers sent (the
// bearer JWT masked as an inbound one is), and for an attempt that got
// no answer status 0 and the reason.
func TestEveryWebhookAttemptIsJournaled(t *testing.T) {
	retrying := func(c *sandbox.Config) {
		c.Microsoft.Webhook.Attempts, c.Microsoft.Webhook.RetryInterval = 3, time.Minute
	}
	t.Run("an answered delivery, with the request as sent", func(t *testing.T) {
		srv := frozen(t)
		sent := make(chan string, 1)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case sent <- r.Header.Get("x-ms-requestid"):
			default:
			}
			w.WriteHeader(http.StatusOK)
		}))
		defer receiver.Close()
		suspendVia(t, srv, receiver.URL+"/hook")
		srv.Advance(2 * time.Second)
		var sentID string
		select {
		case sentID = <-sent:
		default:
			t.Fatal("the advance answered before the publisher got the webhook")
		}

		got := journalEntries(t, srv.URL, "direction=outbound&api=microsoft")
		rows := webhookRows(t, srv.URL)
		if len(got) != 1 || len(rows) != 1 {
			t.Fatalf("%d outbound entries, %d webhook rows; want 1 each", len(got), len(rows))
		}
		e, row := got[0], rows[0]
		if e.RequestID == "" || e.RequestID != sentID || e.RequestID != row.RequestID || e.RequestID == row.ID {
			t.Errorf("entry id %q, sent %q, row %q (webhook %q)", e.RequestID, sentID, row.RequestID, row.ID)
		}
		if e.Direction != "outbound" || e.URL != receiver.URL+"/hook" || e.Path != "/hook" || e.Method != http.MethodPost ||
			e.Partner != "contoso" || e.Status != http.StatusOK || e.Error != "" || e.LatencyMs <= 0 {
			t.Errorf("entry %+v", e)
		}
		if h := e.Request.Headers; h.Get("Authorization") != "Bearer ****" || h.Get("Content-Type") != jsonType || h.Get("x-ms-requestid") != sentID {
			t.Errorf("request headers %v: want the JWT masked, the type and the request id", h)
		}
		if !strings.Contains(e.Request.Body, `"action":"Suspend"`) || len(e.CorrelationIDs) != 1 || e.CorrelationIDs[0] != row.ID {
			t.Errorf("body %q, correlation ids %v", e.Request.Body, e.CorrelationIDs)
		}
		if linked := journalEntries(t, srv.URL, strings.TrimPrefix(row.Journal, "/_sandbox/journal?")); len(linked) != 1 || linked[0].RequestID != e.RequestID {
			t.Errorf("the row's journal link %q finds %+v", row.Journal, linked)
		}
		inbound := journalEntries(t, srv.URL, "direction=inbound&api=microsoft&method=POST&path=/api/saas/subscriptions/*/activate")
		if len(inbound) != 1 || inbound[0].Request.Headers.Get("Authorization") != e.Request.Headers.Get("Authorization") {
			t.Errorf("inbound activate %+v: its Authorization should be masked the same way", inbound)
		}
	})

	t.Run("a closed port: every retried attempt journaled with its error", func(t *testing.T) {
		srv := frozen(t, sandboxtest.WithConfig(retrying))
		suspendVia(t, srv, closedPort(t)+"/hook")
		srv.Advance(5 * time.Minute)

		got := journalEntries(t, srv.URL, "direction=outbound&api=microsoft")
		rows := webhookRows(t, srv.URL)
		if len(got) != 3 || len(rows) != 3 || rows[2].Outcome != "abandoned" {
			t.Fatalf("%d outbound entries, rows %+v; want 3 attempts, the last abandoned", len(got), rows)
		}
		for i, e := range got {
			if e.Status != 0 || !strings.Contains(e.Error, "connection refused") || e.RequestID != rows[i].RequestID || rows[i].Attempt != i+1 {
				t.Errorf("attempt %d: entry %+v, row %+v", i+1, e, rows[i])
			}
			if e.Request.Headers.Get("Authorization") != "Bearer ****" {
				t.Errorf("attempt %d: Authorization %q", i+1, e.Request.Headers.Get("Authorization"))
			}
		}
		if n := len(journalEntries(t, srv.URL, "direction=outbound&status=0&error=REFUSED")); n != 3 {
			t.Errorf("status=0&error=REFUSED finds %d, want 3", n)
		}
		if n := len(journalEntries(t, srv.URL, "correlationId="+url.QueryEscape(rows[0].ID))); n != 3 {
			t.Errorf("the webhook's id finds %d entries, want its 3 attempts", n)
		}
	})

	t.Run("a timeout: journaled with the deadline as its error", func(t *testing.T) {
		srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) {
			c.Microsoft.Webhook.Attempts, c.Microsoft.Webhook.Timeout = 1, 100*time.Millisecond
		}))
		hung := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // read to the end, so the server sees the client hang up
			<-r.Context().Done()
		}))
		defer hung.Close()
		suspendVia(t, srv, hung.URL+"/hook")
		srv.Advance(2 * time.Second)

		got := journalEntries(t, srv.URL, "direction=outbound&api=microsoft")
		if len(got) != 1 || got[0].Status != 0 || !strings.Contains(got[0].Error, "deadline exceeded") || got[0].LatencyMs < 100 {
			t.Fatalf("outbound entries %+v, want one timed out after 100ms", got)
		}
		if rows := webhookRows(t, srv.URL); len(rows) != 1 || rows[0].RequestID != got[0].RequestID || rows[0].Error != got[0].Error {
			t.Errorf("rows %+v, entry %+v", rows, got[0])
		}
	})
}

// closedPort is a loopback base URL nothing listens on any more.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close()
	return base
}
