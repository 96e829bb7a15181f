package microsoft

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// fixturesView is GET /_sandbox/microsoft/fixtures.
type fixturesView struct {
	Publishers []fixtures.Publisher `json:"publishers"`
	Offers     []fixtures.Offer     `json:"offers"`
}

// listFixtures shows the publishers as they are now (URLs patched since
// the start included) with their credentials, and the catalogue.
func (m *Marketplace) listFixtures(r *http.Request) (any, error) {
	if _, err := noQuery(r); err != nil {
		return nil, err
	}
	offers := make([]fixtures.Offer, len(m.catalog.offers))
	for i, o := range m.catalog.offers {
		o.Plans = append([]fixtures.Plan{}, o.Plans...)
		for j := range o.Plans {
			o.Plans[j] = wirePlan(o.Plans[j])
		}
		offers[i] = o
	}
	// The URLs as a client can call them: a relative one (the sample
	// publisher's) is resolved against the base URL the request came in
	// on; the stored value, which PATCH sets, stays as it was given.
	base := baseURLOr(r, m.opts.baseURL)
	pubs := m.publishers.list()
	for i := range pubs {
		pubs[i].WebhookURL = resolveURL(base, pubs[i].WebhookURL)
		pubs[i].LandingPageURL = resolveURL(base, pubs[i].LandingPageURL)
	}
	return fixturesView{Publishers: pubs, Offers: offers}, nil
}

// patchPublisher is PATCH /_sandbox/microsoft/publishers/{id}
// {webhookUrl?, landingPageUrl?}; reset puts the fixtures' URLs back.
func (m *Marketplace) patchPublisher(r *http.Request) (any, error) {
	id := mux.Vars(r)["id"]
	if _, ok := m.publishers.get(id); !ok {
		return nil, controlNotFound("No publisher %s.", id)
	}
	var webhook, landing *string
	if err := m.bodyFields(r, map[string]func(json.RawMessage) error{
		"webhookUrl": setString(&webhook), "landingPageUrl": setString(&landing),
	}); err != nil {
		return nil, err
	}
	var problems []FieldProblem
	for _, f := range []struct {
		name  string
		value *string
	}{{"webhookUrl", webhook}, {"landingPageUrl", landing}} {
		if f.value == nil {
			continue
		}
		if err := fixtures.CheckPublisherURL(*f.value); err != nil {
			problems = append(problems, FieldProblem{Field: f.name, Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		return nil, controlInvalid(problems)
	}
	p, _ := m.publishers.patch(id, webhook, landing)
	return p, nil
}

// subscriptionView is a subscription with its history, for the control API.
type subscriptionView struct {
	Subscription subscription.Subscription `json:"subscription"`
	Operations   []subscription.Operation  `json:"operations"`
	Webhooks     []Delivery                `json:"webhooks"`
	Timeline     []subscription.Event      `json:"timeline"`
}

func (m *Marketplace) view(id string) (subscriptionView, error) {
	d, err := m.subs.Detail(id)
	if err != nil {
		return subscriptionView{}, err
	}
	v := subscriptionView{Subscription: d.Subscription, Operations: d.Operations, Webhooks: m.webhooks.list(id), Timeline: d.Timeline}
	for _, w := range v.Webhooks {
		detail := fmt.Sprintf("webhook %s attempt %d to %s: %d", w.Action, w.Attempt, w.URL, w.Status)
		if w.Error != "" {
			detail += " (" + w.Error + ")"
		}
		v.Timeline = append(v.Timeline, subscription.Event{At: w.SentAt, Kind: "webhook", Detail: detail, OperationID: w.OperationID})
	}
	subscription.SortEvents(v.Timeline)
	return v, nil
}

// listControlSubscriptions is GET /_sandbox/microsoft/subscriptions
// [?publisherId=], paged like every control listing (package listing);
// only the page's subscriptions are built into views.
func (m *Marketplace) listControlSubscriptions(r *http.Request) (any, error) {
	q, pg, err := listing.Query(r, "publisherId")
	if err != nil {
		return nil, controlBad("%s", err)
	}
	pub := q.Get("publisherId")
	if _, ok := m.publishers.get(pub); pub != "" && !ok {
		return nil, controlBad("No publisher %q.", pub)
	}
	// The store pages: only the page's subscriptions are copied.
	subs, total := m.subs.Page(pub, pg.Offset, pg.Limit)
	views := []subscriptionView{}
	for _, s := range subs {
		if v, err := m.view(s.ID); err == nil {
			views = append(views, v)
		}
	}
	return pagedAnswer(r, "subscriptions", views, total, pg), nil
}

// pagedAnswer is listing.Of's answer for a page the store cut: the page
// under name, total, limit, offset and next when more remain.
func pagedAnswer[T any](r *http.Request, name string, page []T, total int, pg listing.Page) map[string]any {
	out := map[string]any{name: page, "total": total, "limit": pg.Limit, "offset": pg.Offset}
	if end := min(pg.Offset, total) + len(page); end < total {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(end))
		q.Set("limit", strconv.Itoa(pg.Limit))
		out["next"] = r.URL.Path + "?" + q.Encode()
	}
	return out
}

// getControlSubscription is GET /_sandbox/microsoft/subscriptions/{id}.
func (m *Marketplace) getControlSubscription(r *http.Request) (any, error) {
	if _, err := noQuery(r); err != nil {
		return nil, err
	}
	v, err := m.view(mux.Vars(r)["id"])
	if err != nil {
		return nil, controlNotFound("No subscription %s.", mux.Vars(r)["id"])
	}
	return v, nil
}

// listWebhooks is GET /_sandbox/microsoft/webhooks[?subscriptionId=]: one
// row per delivery attempt, oldest first, of the newest
// microsoft.webhook.max_deliveries, paged like every control listing.
func (m *Marketplace) listWebhooks(r *http.Request) (any, error) {
	q, pg, err := listing.Query(r, "subscriptionId")
	if err != nil {
		return nil, controlBad("%s", err)
	}
	return listing.Of(r, "webhooks", m.webhooks.list(q.Get("subscriptionId")), pg), nil
}

// listHeldWebhooks is GET /_sandbox/microsoft/webhooks/pending: webhooks
// held (manual mode, or a plan) until fired or dropped.
func (m *Marketplace) listHeldWebhooks(r *http.Request) (any, error) {
	_, pg, err := listing.Query(r)
	if err != nil {
		return nil, controlBad("%s", err)
	}
	return listing.Of(r, "pending", m.sender.(*outboundSender).dispatcher.Pending(), pg), nil
}

// fireWebhook is POST /_sandbox/microsoft/webhooks/{id}/fire: a held
// webhook is sent now, through its normal attempts.
func (m *Marketplace) fireWebhook(r *http.Request) (any, error) {
	// The delivery is made, and waited for, before the answer (see
	// outbound.Dispatcher.Fire).
	var h outbound.Held
	_, err := m.clock.AdvanceAfter(r.Context(), func() (err error) {
		h, err = m.sender.(*outboundSender).dispatcher.Fire(mux.Vars(r)["id"])
		return err
	}, 0, maxFiredPerControlCall)
	if err != nil {
		return nil, controlNotFound("No held webhook %s.", mux.Vars(r)["id"])
	}
	return answer{status: http.StatusAccepted, body: h}, nil
}

// dropWebhook is POST /_sandbox/microsoft/webhooks/{id}/drop: a held
// webhook is never sent (recorded as dropped).
func (m *Marketplace) dropWebhook(r *http.Request) (any, error) {
	h, err := m.sender.(*outboundSender).dispatcher.Drop(mux.Vars(r)["id"], "dropped through the control API")
	if err != nil {
		return nil, controlNotFound("No held webhook %s.", mux.Vars(r)["id"])
	}
	return h, nil
}

func (m *Marketplace) serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(spec.YAML)
}
