package microsoft

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// The sample publisher: the webhook receiver and landing page the default
// fixtures point at, so the quick start works with no publisher app.
const (
	SampleWebhookPath = "/_sandbox/microsoft/sample/webhook"
	SampleLandingPath = "/_sandbox/microsoft/sample/landing"
)

// Received is one webhook the sample publisher received.
type Received struct {
	ReceivedAt     time.Time       `json:"receivedAt"`
	PublisherID    string          `json:"publisherId"`
	SubscriptionID string          `json:"subscriptionId"`
	OperationID    string          `json:"operationId"`
	Action         string          `json:"action"`
	Verified       bool            `json:"verified"`
	Error          string          `json:"error,omitempty"`
	Status         int             `json:"status"`
	Body           json.RawMessage `json:"body,omitempty"`
}

// receivedLog holds what the sample receiver got, oldest first: the
// newest microsoft.webhook.max_deliveries, since anyone may post to the
// receiver.
type receivedLog struct {
	// mu guards rows.
	mu   sync.Mutex
	rows boundedLog[Received]
}

func newReceivedLog(max int) *receivedLog { return &receivedLog{rows: newBoundedLog[Received](max)} }

func (l *receivedLog) add(r Received) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.add(r)
}

func (l *receivedLog) list() []Received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Received{}, l.rows.all()...)
}

func (l *receivedLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.reset()
}

// sampleWebhook is the sample publisher's receiver: it verifies the JWT
// as a publisher would (when a verifier is configured), records the
// delivery and answers 200; a token that does not verify is 401.
func (m *Marketplace) sampleWebhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, m.settings.MaxBodyBytes))
	var p struct {
		ID, SubscriptionID, PublisherID, Action string
	}
	rec := Received{ReceivedAt: m.now(), Status: http.StatusOK}
	if json.Unmarshal(body, &p) != nil {
		rec.Status, rec.Error = http.StatusBadRequest, "the body is not a webhook payload"
	} else {
		rec.PublisherID, rec.SubscriptionID, rec.OperationID, rec.Action, rec.Body = p.PublisherID, p.SubscriptionID, p.ID, p.Action, body
		rec.Verified, rec.Error = m.verifySample(r, p.PublisherID)
		if rec.Error != "" {
			rec.Status = http.StatusUnauthorized
		}
	}
	m.received.add(rec)
	writeJSON(w, rec.Status, map[string]any{"received": rec.Status == http.StatusOK, "error": rec.Error})
}

// verifySample checks the bearer token against the publisher's tenant
// and app id; with no verifier configured the delivery counts unverified.
func (m *Marketplace) verifySample(r *http.Request, publisherID string) (bool, string) {
	if m.opts.verifier == nil {
		return false, ""
	}
	pub, ok := m.publishers.get(publisherID)
	if !ok {
		return false, "unknown publisherId"
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false, "no bearer token"
	}
	if err := m.opts.verifier.VerifyWebhook(token, pub.TenantID, pub.ClientID); err != nil {
		return false, "the token does not verify: " + err.Error()
	}
	return true, ""
}

// listReceived is GET /_sandbox/microsoft/sample/webhooks.
func (m *Marketplace) listReceived(r *http.Request) (any, error) {
	_, pg, err := listing.Query(r)
	if err != nil {
		return nil, controlBad("%s", err)
	}
	return listing.Of(r, "received", m.received.list(), pg), nil
}

// landingView is what the sample landing page shows.
type landingView struct {
	Token        string                     `json:"token"`
	Valid        bool                       `json:"valid"`
	Problem      string                     `json:"problem,omitempty"`
	Subscription *subscription.Subscription `json:"subscription,omitempty"`
}

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sample publisher landing page</title></head>
<body><h1>Sample publisher landing page</h1>
<p>Marketplace token (URL-decoded from <code>?token=</code>): <code>{{.Token}}</code></p>
{{if .Valid}}<p>Resolves to subscription <code>{{.Subscription.ID}}</code>: offer <code>{{.Subscription.OfferID}}</code>,
plan <code>{{.Subscription.PlanID}}</code>, status <b>{{.Subscription.SaasSubscriptionStatus}}</b>.</p>
<p>A real landing page now calls <code>POST /api/saas/subscriptions/resolve</code> with this token in
<code>x-ms-marketplace-token</code>, then <code>POST /api/saas/subscriptions/{{.Subscription.ID}}/activate</code>.</p>
{{else}}<p>The token does not resolve: {{.Problem}}</p>{{end}}
</body></html>
`))

// sampleLanding is the sample landing page: it resolves the token on the
// control side and shows the subscription, as HTML or, for a client that
// asks for JSON, as JSON.
func (m *Marketplace) sampleLanding(w http.ResponseWriter, r *http.Request) {
	v := landingView{Token: r.URL.Query().Get("token")}
	t, found, expired := m.tokens.lookup(v.Token, m.now())
	switch {
	case v.Token == "":
		v.Problem = "no token in the query"
	case !found:
		v.Problem = "unknown token" + tokenHint(v.Token)
	case expired:
		v.Problem = "the token has expired"
	default:
		if s, err := m.subs.Get(t.subscriptionID); err == nil {
			v.Valid, v.Subscription = true, &s
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, v)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = landingPage.Execute(w, v)
}
