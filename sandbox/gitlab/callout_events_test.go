package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// calloutHeaders are the headers of an authenticated callout.
func calloutHeaders(id string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "Zuora-Notification-Id": id,
		"Authorization": basic("zuora", "zuora-callout-secret")}
}

// TestCalloutEventDecidesWhatThePortalDoes: only the events that mean
// "provision" provision; "Payment Declined" fails the order; any other
// name (a case variant too) is refused with a 422 and changes nothing.
func TestCalloutEventDecidesWhatThePortalDoes(t *testing.T) {
	for _, c := range []struct {
		event      string
		wantStatus int
		wantOrder  string
	}{
		{"Order Processed", http.StatusOK, "Provisioned"},
		{"New Subscription Created", http.StatusOK, "Provisioned"},
		{"Payment Declined", http.StatusOK, "Failed"},
		{"Subscription Cancelled", http.StatusUnprocessableEntity, "Created"},
		{"order processed", http.StatusUnprocessableEntity, "Created"},
		{" Order Processed", http.StatusUnprocessableEntity, "Created"},
		{"", http.StatusUnprocessableEntity, "Created"},
	} {
		t.Run(c.event, func(t *testing.T) {
			srv := frozen(t, sandboxtest.WithConfig(func(cfg *sandbox.Config) { cfg.GitLab.Zuora.CalloutDelay = time.Hour }))
			tok := token(t, srv, "demo-partner", scopeCreate)
			number := create(t, srv, tok, order("ev-1")).json["subscriptionNumber"].(string)
			body := mustJSON(t, map[string]string{"event": c.event, "subscriptionNumber": number})
			r := call(t, http.MethodPost, srv.URL+"/zuora/callouts", calloutHeaders("n-1"), body)
			if r.status != c.wantStatus {
				t.Fatalf("callout %q: %d %s, want %d", c.event, r.status, r.raw, c.wantStatus)
			}
			if c.wantStatus != http.StatusOK {
				expectError(t, r, c.wantStatus, "validation_failed")
				if !strings.Contains(string(r.raw), "Order Processed") {
					t.Errorf("the refusal does not list the known events: %s", r.raw)
				}
			}
			srv.Advance(0)
			if got := statusOf(t, srv, tok, "ev-1"); got != c.wantOrder {
				t.Errorf("order %s after %q, want %s", got, c.event, c.wantOrder)
			}
			// A refused notification id was not marked seen: the right event
			// under the same id is processed.
			if c.wantStatus != http.StatusOK {
				body := mustJSON(t, map[string]string{"event": "Order Processed", "subscriptionNumber": number})
				if r := call(t, http.MethodPost, srv.URL+"/zuora/callouts", calloutHeaders("n-1"), body); r.json["status"] != "accepted" {
					t.Errorf("retry after a refusal: %d %s", r.status, r.raw)
				}
			}
		})
	}
}

// TestCalloutBodyIsReadStrictly: the callout receiver refuses what it would
// otherwise misread, each with a 4xx in the envelope.
func TestCalloutBodyIsReadStrictly(t *testing.T) {
	srv := frozen(t)
	good := `{"event":"Order Processed","subscriptionNumber":"A-S00000001"}`
	for _, c := range []struct {
		name   string
		header map[string]string
		body   string
		want   int
	}{
		{"unknown field", nil, `{"event":"Order Processed","subscriptionNumber":"A-S1","subscription_number":"x"}`, 400},
		{"repeated field", nil, `{"event":"Payment Declined","event":"Order Processed","subscriptionNumber":"A-S1"}`, 400},
		{"wrong type", nil, `{"event":"Order Processed","subscriptionNumber":7}`, 400},
		{"not an object", nil, `["Order Processed"]`, 400},
		{"invalid utf-8", nil, "{\"event\":\"Order Processed\",\"subscriptionNumber\":\"A-S\xff\"}", 400},
		{"trailing data", nil, good + `{}`, 400},
		{"no subscription number", nil, `{"event":"Order Processed"}`, 422},
		{"body id differs from header", nil, `{"notificationId":"other","event":"Order Processed","subscriptionNumber":"A-S1"}`, 422},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, good, 415},
		{"latin-1", map[string]string{"Content-Type": "application/json; charset=latin1"}, good, 415},
		{"over-long id", map[string]string{"Zuora-Notification-Id": strings.Repeat("a", 129)}, good, 400},
		{"id with a space", map[string]string{"Zuora-Notification-Id": "n 1"}, good, 400},
		{"unicode id", map[string]string{"Zuora-Notification-Id": "nö"}, good, 400},
		{"oversize body", nil, `{"event":"Order Processed","subscriptionNumber":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := calloutHeaders("n-strict")
			for k, v := range c.header {
				h[k] = v
			}
			r := call(t, http.MethodPost, srv.URL+"/zuora/callouts", h, []byte(c.body))
			if r.status != c.want || r.json["error"] == nil || r.json["error_description"] == "" {
				t.Errorf("%d %s, want %d in the envelope", r.status, r.raw, c.want)
			}
		})
	}
}
