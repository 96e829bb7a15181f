package gitlab_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// controlList reads a /_sandbox listing and returns its items.
func controlList(t *testing.T, srv *sandboxtest.Server, path, key string) []map[string]any {
	t.Helper()
	r := call(t, http.MethodGet, srv.URL+path, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	var out []map[string]any
	for _, v := range r.json[key].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func statusOf(t *testing.T, srv *sandboxtest.Server, tok, ext string) string {
	t.Helper()
	s, _ := status(t, srv, tok, ext).json["status"].(string)
	return s
}

func TestFrozenClockHoldsCreatedUntilAdvancedPastTheCallout(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("life-1"))
	time.Sleep(50 * time.Millisecond) // real time passing must change nothing
	if got := statusOf(t, srv, tok, "life-1"); got != "Created" {
		t.Fatalf("status %s before advance", got)
	}
	srv.Advance(1999 * time.Millisecond)
	if got := statusOf(t, srv, tok, "life-1"); got != "Created" {
		t.Fatalf("status %s 1ms before the callout", got)
	}
	srv.Advance(time.Millisecond)
	r := status(t, srv, tok, "life-1")
	if r.json["status"] != "Provisioned" {
		t.Fatalf("status after advance: %s", r.raw)
	}
	if want := epoch.Add(2 * time.Second).Format("2006-01-02T15:04:05.000Z07:00"); r.json["updatedAt"] != want {
		t.Errorf("updatedAt %v, want the callout's time %s", r.json["updatedAt"], want)
	}

	subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions?partner=demo-partner", "subscriptions")
	var transitions []string
	for _, e := range subs[0]["timeline"].([]any) {
		ev := e.(map[string]any)
		if ev["kind"] == "status" {
			transitions = append(transitions, ev["to"].(string))
		}
	}
	if strings.Join(transitions, ">") != "Creating>Created>Provisioned" {
		t.Errorf("transitions %v", transitions)
	}

	deliveries := controlList(t, srv, "/_sandbox/gitlab/callouts", "deliveries")
	if len(deliveries) != 2 || deliveries[0]["outcome"] != "challenged" || deliveries[0]["credentials"] != false ||
		deliveries[1]["outcome"] != "delivered" || deliveries[1]["credentials"] != true {
		t.Errorf("Zuora must try without credentials, be challenged, then deliver with them: %v", deliveries)
	}
	if deliveries[0]["notificationId"] != deliveries[1]["notificationId"] || deliveries[0]["requestId"] == deliveries[1]["requestId"] {
		t.Errorf("notification id must repeat and request id change: %v", deliveries)
	}

	mail := controlList(t, srv, "/_sandbox/gitlab/outbox", "messages")
	if len(mail) != 1 || mail[0]["to"] != "ada@example.com" || len(mail[0]["activationCode"].(string)) != 24 ||
		!strings.Contains(mail[0]["body"].(string), mail[0]["activationCode"].(string)) {
		t.Errorf("outbox %v", mail)
	}
}

func TestRealClockProvisionsByItselfAfterTwoSeconds(t *testing.T) {
	srv := sandboxtest.New(t)
	tok := token(t, srv, "demo-partner", scopeCreate)
	start := time.Now()
	create(t, srv, tok, order("real-1"))
	deadline := start.Add(10 * time.Second)
	for statusOf(t, srv, tok, "real-1") != "Provisioned" {
		if time.Now().After(deadline) {
			t.Fatal("not Provisioned 10 s after creation")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("Provisioned after %v, before the 2 s callout delay", took)
	}
}

func TestAdvanceOnTheControlAPIProvisionsAtOnce(t *testing.T) {
	srv := sandboxtest.New(t) // real clock
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("adv-1"))
	r := call(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", map[string]string{"Content-Type": "application/json"}, []byte(`{"by":"2s"}`))
	if r.status != http.StatusOK || r.json["fired"].(float64) < 2 {
		t.Fatalf("advance: %d %s", r.status, r.raw)
	}
	if got := statusOf(t, srv, tok, "adv-1"); got != "Provisioned" {
		t.Errorf("status %s right after advance", got)
	}
}

func TestZuoraLatencyShowsCreatingWithoutANumber(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) {
		c.GitLab.Zuora.Latency = 5 * time.Second
		c.GitLab.Salesforce.Latency = time.Second
	}))
	tok := token(t, srv, "demo-partner", scopeCreate)
	r := create(t, srv, tok, order("slow-1"))
	if r.status != http.StatusCreated || r.json["status"] != "Creating" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if _, ok := r.json["subscriptionNumber"]; ok {
		t.Error("subscriptionNumber must be absent while Creating")
	}
	srv.Advance(5 * time.Second) // Zuora answered, Salesforce still working
	if got := status(t, srv, tok, "slow-1"); got.json["status"] != "Creating" || got.json["subscriptionNumber"] != nil {
		t.Errorf("after Zuora only: %s", got.raw)
	}
	srv.Advance(time.Second)
	if got := statusOf(t, srv, tok, "slow-1"); got != "Created" {
		t.Errorf("after Salesforce: %s", got)
	}
	srv.Advance(2 * time.Second)
	if got := statusOf(t, srv, tok, "slow-1"); got != "Provisioned" {
		t.Errorf("after the callout: %s", got)
	}
}

func TestFailingCalloutReceiverIsRetriedThenAbandoned(t *testing.T) {
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Zuora.CalloutURL = receiver.URL }))
	tok := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, tok, order("retry-1"))

	srv.Advance(2 * time.Second)
	if hits.Load() != 1 {
		t.Fatalf("%d attempts after the delay, want 1", hits.Load())
	}
	srv.Advance(29 * time.Minute)
	if hits.Load() != 1 {
		t.Fatalf("retried before Zuora's 30 minutes")
	}
	srv.Advance(24 * time.Hour)
	if hits.Load() != 3 {
		t.Fatalf("%d attempts, want Zuora's default 3", hits.Load())
	}
	d := controlList(t, srv, "/_sandbox/gitlab/callouts", "deliveries")
	outcomes := []string{d[0]["outcome"].(string), d[1]["outcome"].(string), d[2]["outcome"].(string)}
	if strings.Join(outcomes, ",") != "retrying,retrying,abandoned" {
		t.Errorf("outcomes %v", outcomes)
	}
	tok = token(t, srv, "demo-partner", scopeRead) // the first expired during the day
	if got := statusOf(t, srv, tok, "retry-1"); got != "Created" {
		t.Errorf("status %s, want Created (no callout was ever processed)", got)
	}
}

func TestCalloutEndpointChallengesAndDropsDuplicates(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Zuora.CalloutDelay = time.Hour }))
	tok := token(t, srv, "demo-partner", scopeCreate)
	number := create(t, srv, tok, order("dedupe-1")).json["subscriptionNumber"].(string)
	body := []byte(`{"event":"Order Processed","subscriptionNumber":"` + number + `"}`)
	h := map[string]string{"Content-Type": "application/json", "Zuora-Notification-Id": "n-1"}

	r := call(t, http.MethodPost, srv.URL+"/zuora/callouts", h, body)
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Fatalf("unauthenticated callout: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	h["Authorization"] = basic("zuora", "zuora-callout-secret")
	for i, want := range []string{"accepted", "duplicate", "duplicate"} {
		if r := call(t, http.MethodPost, srv.URL+"/zuora/callouts", h, body); r.status != 200 || r.json["status"] != want {
			t.Errorf("delivery %d: %d %s, want %s", i+1, r.status, r.raw, want)
		}
	}
	srv.Advance(0)
	if got := statusOf(t, srv, tok, "dedupe-1"); got != "Provisioned" {
		t.Errorf("status %s", got)
	}
	if mail := controlList(t, srv, "/_sandbox/gitlab/outbox", "messages"); len(mail) != 1 {
		t.Errorf("%d emails for one subscription, want 1", len(mail))
	}
	h["Zuora-Notification-Id"] = "n-2" // a second, distinct notification is processed but finds nothing to do
	call(t, http.MethodPost, srv.URL+"/zuora/callouts", h, body)
	srv.Advance(0)
	if mail := controlList(t, srv, "/_sandbox/gitlab/outbox", "messages"); len(mail) != 1 {
		t.Errorf("%d emails after a second notification, want 1", len(mail))
	}
	srv.Advance(2 * time.Hour) // the scheduled callout arrives late and changes nothing
	tok = token(t, srv, "demo-partner", scopeRead)
	if got := statusOf(t, srv, tok, "dedupe-1"); got != "Provisioned" {
		t.Errorf("final status moved: %s", got)
	}
}

func TestPreemptiveCalloutAuthSendsCredentialsAtOnce(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.Zuora.CalloutAuth = "preemptive" }))
	create(t, srv, token(t, srv, "demo-partner", scopeCreate), order("pre-1"))
	srv.Advance(2 * time.Second)
	d := controlList(t, srv, "/_sandbox/gitlab/callouts", "deliveries")
	if len(d) != 1 || d[0]["outcome"] != "delivered" || d[0]["credentials"] != true {
		t.Errorf("deliveries %v", d)
	}
}
