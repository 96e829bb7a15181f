package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// delivered is what a publisher's receiver read from one webhook.
type delivered struct {
	Action, Status, Source, SubscriptionStatus string
	Quantity, SubscriptionQuantity             float64
}

// ackingReceiver is a publisher's webhook endpoint that calls back into
// the sandbox while it handles a delivery, as real ones do: it ACKs a
// customer's change (PATCH the operation, with a token it asks for then)
// and, for a suspension, advances the sandbox clock. Either call would
// stall until the delivery timed out if the sandbox sent its webhooks
// while holding the clock's lock.
type ackingReceiver struct {
	srv *sandboxtest.Server
	t   testing.TB

	// mu guards got and problems.
	mu       sync.Mutex
	got      []delivered
	problems []string
}

func (a *ackingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var p struct {
		ID             string  `json:"id"`
		SubscriptionID string  `json:"subscriptionId"`
		Action         string  `json:"action"`
		Status         string  `json:"status"`
		Source         string  `json:"operationRequestSource"`
		Quantity       float64 `json:"quantity"`
		Subscription   struct {
			Status   string  `json:"saasSubscriptionStatus"`
			Quantity float64 `json:"quantity"`
		} `json:"subscription"`
	}
	problem := ""
	if err := json.Unmarshal(raw, &p); err != nil {
		problem = "payload: " + err.Error()
	}
	switch {
	case problem != "":
	case p.Action == "ChangeQuantity" && p.Status == "InProgress":
		problem = a.ack(p.SubscriptionID, p.ID)
	case p.Action == "Suspend":
		if r, err := trySend(http.MethodPost, a.srv.URL+"/_sandbox/clock/advance", `{"by":"0s"}`, "Content-Type", jsonType); err != nil || r.status != http.StatusOK {
			problem = "advance from the receiver: " + errString(err) + " " + r.raw
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, delivered{p.Action, p.Status, p.Source, p.Subscription.Status, p.Quantity, p.Subscription.Quantity})
	if problem != "" {
		a.problems = append(a.problems, p.Action+": "+problem)
	}
	w.WriteHeader(http.StatusOK)
}

// ack accepts the customer's change, as a publisher does once it has
// applied it on its side.
func (a *ackingReceiver) ack(sub, op string) string {
	tok, err := a.srv.MicrosoftToken("contoso")
	if err != nil {
		return "token: " + err.Error()
	}
	r, err := trySend(http.MethodPatch, a.srv.URL+"/api/saas/subscriptions/"+sub+"/operations/"+op+"?api-version=2018-08-31",
		`{"status":"Success"}`, "Authorization", "Bearer "+tok, "Content-Type", jsonType)
	if err != nil || r.status != http.StatusOK {
		return "ACK: " + errString(err) + " " + r.raw
	}
	return ""
}

func (a *ackingReceiver) deliveries() ([]delivered, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]delivered(nil), a.got...), append([]string(nil), a.problems...)
}

// publisher is the calls a publisher's code makes, with a token asked
// for afresh whenever the sandbox clock has moved (tokens last an hour of
// it).
type publisher struct {
	tb  testing.TB
	srv *sandboxtest.Server
}

func (p publisher) call(method, path, body string, header ...string) answer {
	p.tb.Helper()
	tok, err := p.srv.MicrosoftToken("contoso")
	if err != nil {
		p.tb.Fatal(err)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	header = append(header, "Authorization", "Bearer "+tok, "Content-Type", jsonType)
	return mustSend(p.tb, method, p.srv.URL+"/api/saas/subscriptions"+path+sep+"api-version=2018-08-31", body, header...)
}

func (p publisher) status(sub string) string {
	p.tb.Helper()
	s, _ := p.call(http.MethodGet, "/"+sub, "").body["saasSubscriptionStatus"].(string)
	return s
}

// control calls the sandbox's control API and checks the status.
func control(tb testing.TB, srv *sandboxtest.Server, method, path, body string, want int) answer {
	tb.Helper()
	a := mustSend(tb, method, srv.URL+path, body, "Content-Type", jsonType)
	if a.status != want {
		tb.Fatalf("%s %s: %d, want %d: %s", method, path, a.status, want, a.raw)
	}
	return a
}

// advance moves the sandbox clock; webhooks due go out before it answers.
func advance(tb testing.TB, srv *sandboxtest.Server, by string) {
	tb.Helper()
	control(tb, srv, http.MethodPost, "/_sandbox/clock/advance", `{"by":"`+by+`"}`, http.StatusOK)
}

// monthAndYear is a publisher's month and a customer's year through the
// whole sandbox over HTTP: Entra tokens, purchase, the landing page's
// token resolved, activate, a customer's ChangeQuantity ACKed from inside
// its webhook, a failed payment, the 30-day rule; then a yearly plan that
// renews. It returns what the receiver got.
func monthAndYear(tb testing.TB, srv *sandboxtest.Server) []delivered {
	tb.Helper()
	receiver := &ackingReceiver{srv: srv, t: tb}
	hooks := httptest.NewServer(receiver)
	defer hooks.Close()
	control(tb, srv, http.MethodPatch, "/_sandbox/microsoft/publishers/contoso", `{"webhookUrl":"`+hooks.URL+`/webhook"}`, http.StatusOK)
	pub := publisher{tb, srv}

	bought := control(tb, srv, http.MethodPost, "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"team-seats","quantity":5}`, http.StatusCreated)
	landing, err := url.Parse(bought.body["landingPageUrl"].(string))
	if err != nil {
		tb.Fatal(err)
	}
	sub := bought.body["subscriptionId"].(string)
	// The landing page's query, decoded as a publisher's web framework does.
	resolved := pub.call(http.MethodPost, "/resolve", "", "x-ms-marketplace-token", landing.Query().Get("token"))
	if resolved.status != http.StatusOK || resolved.body["id"] != sub {
		tb.Fatalf("resolve: %d %s", resolved.status, resolved.raw)
	}
	if a := pub.call(http.MethodPost, "/"+sub+"/activate", `{"planId":"team-seats","quantity":5}`); a.status != http.StatusOK {
		tb.Fatalf("activate: %d %s", a.status, a.raw)
	}
	advance(tb, srv, "72h")

	op := control(tb, srv, http.MethodPost, "/_sandbox/microsoft/subscriptions/"+sub+"/events", `{"action":"ChangeQuantity","quantity":8}`, http.StatusAccepted)
	advance(tb, srv, "1s") // the webhook goes out; the receiver ACKs it from inside
	opID := op.body["operationId"].(string)
	if o := pub.call(http.MethodGet, "/"+sub+"/operations/"+opID, ""); o.body["status"] != "Succeeded" {
		tb.Fatalf("the ACKed change: %s", o.raw)
	}
	if q := pub.call(http.MethodGet, "/"+sub, "").body["quantity"]; q != 8.0 {
		tb.Fatalf("quantity after the ACKed change: %v", q)
	}

	control(tb, srv, http.MethodPost, "/_sandbox/microsoft/subscriptions/"+sub+"/events", `{"action":"Suspend"}`, http.StatusAccepted)
	advance(tb, srv, "696h") // 29 days
	if s := pub.status(sub); s != "Suspended" {
		tb.Fatalf("29 days suspended: %s", s)
	}
	advance(tb, srv, "24h")
	if s := pub.status(sub); s != "Unsubscribed" {
		tb.Fatalf("30 days suspended: %s", s)
	}

	yearly := control(tb, srv, http.MethodPost, "/_sandbox/microsoft/purchases", `{"offerId":"contoso-analytics","planId":"pro-annual"}`, http.StatusCreated)
	annual := yearly.body["subscriptionId"].(string)
	if a := pub.call(http.MethodPost, "/"+annual+"/activate", `{"planId":"pro-annual"}`); a.status != http.StatusOK {
		tb.Fatalf("activate the yearly plan: %d %s", a.status, a.raw)
	}
	before := pub.call(http.MethodGet, "/"+annual, "").body["term"].(map[string]any)["endDate"]
	advance(tb, srv, "8784h") // 366 days
	after := pub.call(http.MethodGet, "/"+annual, "")
	if after.body["saasSubscriptionStatus"] != "Subscribed" || after.body["term"].(map[string]any)["endDate"] == before {
		tb.Fatalf("a year on, autoRenew: %s (term ended %v)", after.raw, before)
	}
	got, problems := receiver.deliveries()
	if len(problems) > 0 {
		tb.Fatalf("the receiver's calls back into the sandbox: %v", problems)
	}
	return got
}

// TestAMonthAndAYearThroughTheWholeSandbox runs monthAndYear on a frozen
// clock and checks every webhook the publisher received: what changed,
// who asked, and the subscription as it was before the change.
// BenchmarkMonthAndYear times the same story.
func TestAMonthAndAYearThroughTheWholeSandbox(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	start := time.Now()
	got := monthAndYear(t, srv)
	t.Logf("a month and a year in %v", time.Since(start))
	want := []delivered{
		{Action: "ChangeQuantity", Status: "InProgress", Source: "Azure", SubscriptionStatus: "Subscribed", Quantity: 8, SubscriptionQuantity: 5},
		{Action: "Suspend", Status: "Succeeded", Source: "Azure", SubscriptionStatus: "Subscribed", Quantity: 8, SubscriptionQuantity: 8},
		{Action: "Unsubscribe", Status: "Succeeded", Source: "Azure", SubscriptionStatus: "Suspended", Quantity: 8, SubscriptionQuantity: 8},
		{Action: "Renew", Status: "Succeeded", Source: "Azure", SubscriptionStatus: "Subscribed"},
	}
	if len(got) != len(want) {
		t.Fatalf("the receiver got %d webhooks, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("webhook %d: got %+v\n want %+v", i, got[i], want[i])
		}
	}
	out := control(t, srv, http.MethodGet, "/_sandbox/journal?api=microsoft&direction=outbound&limit=100", "", http.StatusOK)
	if n := len(out.body["entries"].([]any)); n != len(want) {
		t.Errorf("%d outbound journal entries, want one a webhook: %s", n, out.raw)
	}
}

// BenchmarkMonthAndYear is monthAndYear's cost: a month and a year of one
// publisher's life in the sandbox, every call over loopback HTTP, each
// iteration after a reset.
//
//	go test -run '^$' -bench BenchmarkMonthAndYear -benchtime 20x ./sandbox/
func BenchmarkMonthAndYear(b *testing.B) {
	srv := sandboxtest.New(b, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	for b.Loop() {
		control(b, srv, http.MethodPost, "/_sandbox/reset", "", http.StatusOK)
		monthAndYear(b, srv)
	}
}
