package gitlab_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestCalloutReceiverAdvancingTheClockIsNotStalled is the regression test
// for issue #11's clock lock: the partner's callout receiver advances the
// sandbox clock while it handles Zuora's callout (as a test harness
// driving the sandbox does), then hands the callout on to the portal. The
// delivery used to hold the clock's firing lock, so the receiver's advance
// waited until the delivery timed out; now both answer at once, the
// callout is delivered and the order Provisioned when the outer advance
// answers.
func TestCalloutReceiverAdvancingTheClockIsNotStalled(t *testing.T) {
	var srv *sandboxtest.Server
	var advances atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		adv := call(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", map[string]string{"Content-Type": "application/json"}, []byte(`{"by":"1s"}`))
		if adv.status != http.StatusOK {
			t.Errorf("the receiver's advance: %d %s", adv.status, adv.raw)
		}
		advances.Add(1)
		forwardCallout(t, w, r, srv.URL)
	}))
	defer receiver.Close()
	srv = frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) {
		c.GitLab.Zuora.CalloutURL = receiver.URL
		c.GitLab.Zuora.CalloutTimeout = 30 * time.Second // a stall would show as this long
	}))
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("nested-1"))

	start := time.Now()
	srv.Advance(2 * time.Second)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the advance took %s: the callout waited for its timeout", took)
	}
	if n := advances.Load(); n != 2 {
		t.Errorf("the receiver advanced %d times, want 2 (the challenge, then the delivery)", n)
	}
	d := controlList(t, srv, "/_sandbox/gitlab/callouts", "deliveries")
	if len(d) != 2 || d[0]["outcome"] != "challenged" || d[1]["outcome"] != "delivered" || d[1]["error"] != nil {
		t.Errorf("deliveries %v, want challenged then delivered", d)
	}
	if got := statusOf(t, srv, tok, "nested-1"); got != "Provisioned" {
		t.Errorf("status %s right after the advance, want Provisioned", got)
	}
}

// forwardCallout hands a callout on to the portal's endpoint and copies
// its answer back, challenge included.
func forwardCallout(t *testing.T, w http.ResponseWriter, r *http.Request, base string) {
	t.Helper()
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequest(http.MethodPost, base+"/zuora/callouts", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("forwarding the callout: %v", err)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
