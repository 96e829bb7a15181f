package microsoft

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
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
	// forge is the forged copy a webhook rule asked for, if any.
	forge forgery
	// unsettled counts the original and the copies still to reach an
	// outcome that ends them (delivered, abandoned, rejected, dropped).
	unsettled int
}

// sender delivers webhooks (outboundSender; tests may count them).
type sender interface {
	send(w webhook)
	delivering(subscriptionID string) bool
	reset()
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
	// RequestID is the attempt's own id, sent as x-ms-requestid and
	// filed under it in the journal; empty for a webhook held or dropped.
	RequestID string `json:"requestId,omitempty"`
	// Status is the HTTP status answered, 0 when there was none.
	Status int    `json:"status"`
	Error  string `json:"error"`
	// Outcome is outbound's: delivered, retrying, abandoned, rejected,
	// held, dropped.
	Outcome string          `json:"outcome"`
	SentAt  time.Time       `json:"sentAt"`
	Body    json.RawMessage `json:"body"`
	// Journal is the journal query that finds the attempt's entry.
	Journal string `json:"journal,omitempty"`
}

// deliveryLog holds the newest microsoft.webhook.max_deliveries attempts,
// oldest first: a publisher that never answers gets 500 attempts per
// webhook, so an unbounded log would grow as long as the sandbox runs.
type deliveryLog struct {
	// mu guards rows.
	mu   sync.Mutex
	rows boundedLog[Delivery]
}

func newDeliveryLog(max int) *deliveryLog { return &deliveryLog{rows: newBoundedLog[Delivery](max)} }

func (l *deliveryLog) add(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.add(d)
}

func (l *deliveryLog) list(subscriptionID string) []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Delivery{}
	for _, d := range l.rows.all() {
		if subscriptionID == "" || d.SubscriptionID == subscriptionID {
			out = append(out, d)
		}
	}
	return out
}

func (l *deliveryLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows.reset()
}

// outboundSender delivers through the shared outbound package: each
// attempt a clock job, the HTTP request outside the clock's lock, retries
// on the microsoft.webhook schedule, a fresh JWT per attempt.
type outboundSender struct {
	m          *Marketplace
	dispatcher *outbound.Dispatcher

	// mu guards meta and moving. meta is the webhooks not yet settled
	// (observe forgets each once its original and copies are); moving
	// counts them by subscription, which retention never evicts while
	// one is pending.
	mu     sync.Mutex
	meta   map[string]webhook
	moving map[string]int
}

func newOutboundSender(m *Marketplace) *outboundSender {
	s := &outboundSender{m: m, meta: map[string]webhook{}, moving: map[string]int{}}
	c := *m.opts.client
	// A redirect is a failed delivery, retried; Microsoft does not follow one.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var link func(string) string
	if m.opts.journal != nil {
		link = func(requestID string) string { return "/_sandbox/journal?requestId=" + url.QueryEscape(requestID) }
	}
	s.dispatcher = outbound.New(outbound.Config{
		Clock: m.clock, Client: &c, Sender: "microsoft", Noun: "webhook",
		Schedule:     outbound.Schedule{Attempts: m.settings.Webhook.Attempts, Interval: m.settings.Webhook.RetryInterval},
		Timeout:      m.settings.Webhook.Timeout,
		Prepare:      s.prepare,
		Success:      outbound.Any2xx,
		Answered:     s.answered,
		Exchanged:    s.exchanged,
		Observe:      s.observe,
		NewRequestID: subscription.NewID,
		Journal:      link,
		// GET /_sandbox/microsoft/webhooks is the bounded deliveryLog.
		Unlisted: true,
	})
	return s
}

func (s *outboundSender) send(w webhook) {
	pub, ok := s.m.publishers.get(w.publisherID)
	if !ok {
		return
	}
	plan, forge := s.planFor(w)
	w.forge, w.unsettled = forge, 1+plan.Copies
	s.mu.Lock()
	s.meta[w.id] = w
	s.moving[w.subscriptionID]++
	s.mu.Unlock()
	s.dispatcher.Schedule(outbound.Message{
		ID: w.id, Event: string(w.action), Subject: w.subscriptionID,
		URL: resolveURL(s.m.opts.baseURL, pub.WebhookURL), Body: w.body,
	}, plan)
}

// planFor is the webhook's outbound plan: the first webhook rule's that
// matches, else the configured hook's; held until fired in manual mode.
func (s *outboundSender) planFor(w webhook) (outbound.Plan, forgery) {
	plan, forge, ok := s.m.rules.plan(w.subscriptionID, string(w.action))
	if !ok {
		plan = s.m.opts.plan(w.subscriptionID, string(w.action))
	}
	if s.m.settings.Webhook.Mode == WebhookManual && !plan.Drop.On() {
		plan.Hold = outbound.Cause{Why: "microsoft.webhook.mode is manual"}
	}
	return plan, forge
}

func (s *outboundSender) lookup(id string) (webhook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.meta[id]
	return w, ok
}

// prepare signs each attempt anew for the publisher's tenant and app id.
func (s *outboundSender) prepare(req *http.Request, a outbound.Attempt) error {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderRequestID, a.RequestID)
	w, ok := s.lookup(a.Message.ID)
	if !ok || s.m.opts.signer == nil {
		return nil
	}
	pub, ok := s.m.publishers.get(w.publisherID)
	if !ok {
		return errors.New("the publisher is gone")
	}
	if w.forge.forges(a.Copy) {
		return s.forge(req, w, pub.TenantID, pub.ClientID)
	}
	token, err := s.m.opts.signer.SignWebhook(pub.TenantID, pub.ClientID)
	if err != nil {
		return fmt.Errorf("signing the webhook: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return nil
}

// answered: a 4xx to a change that needs the ACK is the publisher
// refusing it (docs/microsoft.md §6); the operation fails, no retry.
func (s *outboundSender) answered(a outbound.Answer) error {
	w, ok := s.lookup(a.Message.ID)
	if ok && w.forge.forges(a.Copy) {
		// Whatever the publisher answers a forgery, Microsoft never sent
		// it: no operation changes and nothing is retried.
		return fmt.Errorf("a forged copy (%s) is sent once: %w", w.forge.kind, outbound.ErrStop)
	}
	if ok && w.ackable && a.StatusCode >= 400 && a.StatusCode < 500 {
		_, _ = s.m.subs.Settle(w.subscriptionID, w.operationID, subscription.OpFailed, fmt.Sprintf("The publisher's webhook answered %d.", a.StatusCode), s.m.now())
		return fmt.Errorf("the publisher refused the change (%d): %w", a.StatusCode, outbound.ErrStop)
	}
	return nil
}

// exchanged journals every request of every attempt as an outbound entry,
// answered or not, so that "every delivery is in the journal" (issue 11)
// holds for the refused connections and timeouts a publisher most needs
// to see. The entry is filed under the attempt's request id (the
// x-ms-requestid sent, and the requestId of its row in GET
// /_sandbox/microsoft/webhooks) and correlated by the webhook's id, so
// ?correlationId= lists all its attempts. The recorder masks the bearer
// JWT as it masks an inbound Authorization header.
func (s *outboundSender) exchanged(x outbound.Exchange) {
	if s.m.opts.journal == nil {
		return
	}
	w, _ := s.lookup(x.Message.ID)
	e := journal.Entry{
		RequestID: x.RequestID, At: x.At, Wall: x.Sent, API: s.m.Name(), Direction: journal.DirectionOutbound,
		URL: x.URL, Method: x.Method, Partner: w.publisherID, Status: x.StatusCode,
		Latency: x.Took.String(), LatencyMs: float64(x.Took.Microseconds()) / 1000,
		CorrelationIDs: []string{x.Message.ID},
		Request:        journal.Message{Headers: x.Header, Body: string(x.Body), BodyBytes: int64(len(x.Body))},
		Response:       journal.Message{Headers: x.ResponseHeader, Body: string(x.ResponseBody), BodyBytes: int64(len(x.ResponseBody))},
	}
	if u, err := url.Parse(x.URL); err == nil {
		e.Path, e.Query = u.EscapedPath(), u.RawQuery
	}
	if x.Err != nil {
		e.Error = x.Err.Error()
	}
	if w.forge.forges(x.Copy) {
		e.Fault = &journal.Fault{Rule: w.forge.rule, Effect: w.forge.effect()}
		e.Request.Body = string(forgedBody(x.Body, w))
	}
	s.m.opts.journal(e)
}

// observe keeps each attempt as a row of GET /_sandbox/microsoft/webhooks,
// and forgets a webhook once it is settled.
func (s *outboundSender) observe(d outbound.Delivery) {
	w, _ := s.settle(d)
	row := Delivery{ID: d.MessageID, SubscriptionID: w.subscriptionID, OperationID: w.operationID, Action: w.action,
		URL: d.URL, Attempt: d.Attempt, RequestID: d.RequestID, Status: d.StatusCode, Error: d.Error, Outcome: d.Outcome, SentAt: d.At,
		Body: w.body, Journal: d.Journal}
	if row.Error == "" && d.Reason != "" {
		row.Error = d.Reason
	}
	s.m.webhooks.add(row)
}

// settle returns the webhook of d and forgets it once d ends the last of
// its original and copies: a dropped message ends them all.
func (s *outboundSender) settle(d outbound.Delivery) (webhook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.meta[d.MessageID]
	if !ok {
		return w, false
	}
	switch d.Outcome {
	case outbound.OutcomeDropped:
		w.unsettled = 0
	case outbound.OutcomeDelivered, outbound.OutcomeAbandoned, outbound.OutcomeRejected:
		w.unsettled--
	default:
		return w, true
	}
	if w.unsettled > 0 {
		s.meta[d.MessageID] = w
		return w, true
	}
	delete(s.meta, d.MessageID)
	if s.moving[w.subscriptionID]--; s.moving[w.subscriptionID] <= 0 {
		delete(s.moving, w.subscriptionID)
	}
	return w, true
}

// delivering reports whether a webhook of the subscription is still to
// settle (due, held, retrying).
func (s *outboundSender) delivering(subscriptionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moving[subscriptionID] > 0
}

func (s *outboundSender) reset() {
	s.dispatcher.Reset()
	s.mu.Lock()
	s.meta = map[string]webhook{}
	s.moving = map[string]int{}
	s.mu.Unlock()
}
