package microsoft

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// webhookPayload is the body Microsoft posts to a publisher's webhook
// URL (docs/microsoft.md §6): the operation's fields with the new plan and
// quantity, who started it, the subscription as it was before the change,
// and purchaseToken null.
type webhookPayload struct {
	subscription.Operation
	Subscription  subscription.Subscription `json:"subscription"`
	PurchaseToken *string                   `json:"purchaseToken"`
}

// webhook is one webhook to deliver, with every attempt it takes.
type webhook struct {
	id             string
	publisherID    string
	subscriptionID string
	operationID    string
	action         subscription.Action
	body           []byte
	// ackable: a 4xx answer is the publisher refusing the change
	// (ChangePlan / ChangeQuantity Microsoft started).
	ackable bool
}

// sender delivers webhooks. The marketplace's own posts each attempt from
// a clock job and retries on the microsoft.webhook schedule; the shared
// outbound package can take its place behind this interface.
type sender interface {
	send(w webhook)
}

// sendWebhook builds and sends the webhook of op, with before the
// subscription before the change.
func (m *Marketplace) sendWebhook(op subscription.Operation, before subscription.Subscription, ackable bool) {
	body, err := json.Marshal(webhookPayload{Operation: op, Subscription: before})
	if err != nil {
		m.log.Error("webhook payload", "err", err)
		return
	}
	m.sender.send(webhook{
		id: subscription.NewID(), publisherID: op.PublisherID, subscriptionID: op.SubscriptionID,
		operationID: op.ID, action: op.Action, body: body, ackable: ackable,
	})
}

// Delivery is one attempt to deliver a webhook, as GET
// /_sandbox/microsoft/webhooks lists it.
type Delivery struct {
	ID             string              `json:"id"`
	SubscriptionID string              `json:"subscriptionId"`
	OperationID    string              `json:"operationId"`
	Action         subscription.Action `json:"action"`
	URL            string              `json:"url"`
	Attempt        int                 `json:"attempt"`
	// Status is the HTTP status answered, 0 when there was none.
	Status int             `json:"status"`
	Error  string          `json:"error"`
	SentAt time.Time       `json:"sentAt"`
	Body   json.RawMessage `json:"body"`
}

// deliveryLog holds every attempt, oldest first.
type deliveryLog struct {
	// mu guards rows.
	mu   sync.Mutex
	rows []Delivery
}

func newDeliveryLog() *deliveryLog { return &deliveryLog{} }

func (l *deliveryLog) add(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, d)
}

func (l *deliveryLog) list(subscriptionID string) []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Delivery{}
	for _, d := range l.rows {
		if subscriptionID == "" || d.SubscriptionID == subscriptionID {
			out = append(out, d)
		}
	}
	return out
}

func (l *deliveryLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = nil
}

// httpSender posts webhooks over real HTTP from clock jobs.
type httpSender struct {
	m      *Marketplace
	client *http.Client
}

func newHTTPSender(m *Marketplace) *httpSender {
	c := *m.opts.client
	// A redirect is a failed delivery, retried; Microsoft does not follow one.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &httpSender{m: m, client: &c}
}

func (s *httpSender) send(w webhook) { s.schedule(w, 1, 0) }

func (s *httpSender) schedule(w webhook, attempt int, delay time.Duration) {
	s.m.clock.AfterFunc(delay, fmt.Sprintf("microsoft: webhook %s %s attempt %d", w.action, w.operationID, attempt), func(ctx context.Context) {
		s.attempt(ctx, w, attempt)
	})
}

// attempt makes one delivery attempt. A 2xx delivers; a 4xx delivers a
// refusal (for a change that needs the ACK, the operation fails); no
// answer, a 3xx or a 5xx is retried on the schedule.
func (s *httpSender) attempt(ctx context.Context, w webhook, n int) {
	m := s.m
	pub, ok := m.publishers.get(w.publisherID)
	if !ok {
		return
	}
	target := resolveURL(m.opts.baseURL, pub.WebhookURL)
	row := Delivery{ID: w.id, SubscriptionID: w.subscriptionID, OperationID: w.operationID, Action: w.action, URL: target, Attempt: n, SentAt: m.now(), Body: w.body}
	status, err := s.post(ctx, target, pub.TenantID, pub.ClientID, w.body)
	row.Status = status
	if err != nil {
		row.Error = err.Error()
	}
	m.webhooks.add(row)
	if w.ackable && status >= 400 && status < 500 {
		_, _ = m.subs.Settle(w.subscriptionID, w.operationID, subscription.OpFailed, fmt.Sprintf("The publisher's webhook answered %d.", status), m.now())
	}
	if (err != nil || status < 200 || status >= 500 || (status >= 300 && status < 400)) && n < m.settings.Webhook.Attempts && ctx.Err() == nil {
		s.schedule(w, n+1, m.settings.Webhook.RetryInterval)
	}
}

func (s *httpSender) post(ctx context.Context, target, tenantID, audience string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.m.settings.Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("bad webhook URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.m.opts.signer != nil {
		token, err := s.m.opts.signer.SignWebhook(tenantID, audience)
		if err != nil {
			return 0, fmt.Errorf("signing the webhook: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, errors.New("no answer within microsoft.webhook.timeout")
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}
