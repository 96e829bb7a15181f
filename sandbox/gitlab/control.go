package gitlab

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
)

// filters reads the query parameters of a control listing the way every
// marketplace's listings read them (package listing), answering a bad
// one in the portal's envelope.
func filters(r *http.Request, known ...string) (url.Values, listing.Page, error) {
	q, pg, err := listing.Query(r, known...)
	if err != nil {
		return nil, pg, newError(CodeInvalidRequest, err.Error())
	}
	return q, pg, nil
}

// listFixtures is GET /_sandbox/gitlab/fixtures: the partners with their
// credentials and the catalogue, so a harness needs no configuration to
// test this sandbox.
func (p *Portal) listFixtures(w http.ResponseWriter, r *http.Request) error {
	if err := noInput(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p.fixtures)
	return nil
}

// listSubscriptions is GET /_sandbox/gitlab/subscriptions, filtered by the
// query parameters partner, externalSubscriptionId and status.
func (p *Portal) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	q, pg, err := filters(r, "partner", "externalSubscriptionId", "status")
	if err != nil {
		return err
	}
	status := subscription.Status(q.Get("status"))
	switch status {
	case "", subscription.Creating, subscription.Created, subscription.Provisioned, subscription.Failed:
	default:
		return newError(CodeInvalidRequest, "status must be Creating, Created, Provisioned or Failed.")
	}
	page, err := p.subscriptions.List(subscription.Filter{
		Partner:    q.Get("partner"),
		ExternalID: q.Get("externalSubscriptionId"),
		Status:     status,
	}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listing.Paged(r, "subscriptions", page.Subscriptions, page.Total, pg, page.Next))
	return nil
}

// listCallouts is GET /_sandbox/gitlab/callouts: every HTTP request the
// fake Zuora made, optionally for one subscriptionNumber.
func (p *Portal) listCallouts(w http.ResponseWriter, r *http.Request) error {
	q, pg, err := filters(r, "subscriptionNumber")
	if err != nil {
		return err
	}
	number := q.Get("subscriptionNumber")
	out := []zuora.Delivery{}
	for _, d := range p.callouts.Deliveries() {
		if number == "" || d.SubscriptionNumber == number {
			out = append(out, d)
		}
	}
	writeJSON(w, http.StatusOK, listing.Of(r, "deliveries", out, pg))
	return nil
}

// listOutbox is GET /_sandbox/gitlab/outbox: the license emails, optionally
// for one subscriptionNumber.
func (p *Portal) listOutbox(w http.ResponseWriter, r *http.Request) error {
	q, pg, err := filters(r, "subscriptionNumber")
	if err != nil {
		return err
	}
	page, err := p.outbox.List(q.Get("subscriptionNumber"), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listing.Paged(r, "messages", page.Messages, page.Total, pg, page.Next))
	return nil
}

func (p *Portal) serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(spec.YAML)
}

// noInput refuses a query parameter or a body on a control route that
// takes neither, rather than ignore it.
func noInput(r *http.Request) error {
	if r.URL.RawQuery != "" {
		return newError(CodeInvalidRequest, fmt.Sprintf("%s %s takes no query parameters.", r.Method, r.URL.Path))
	}
	if body, err := io.ReadAll(io.LimitReader(r.Body, 1)); err == nil && len(body) > 0 {
		return newError(CodeInvalidRequest, fmt.Sprintf("%s %s takes no body.", r.Method, r.URL.Path))
	}
	return nil
}
