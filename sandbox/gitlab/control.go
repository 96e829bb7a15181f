package gitlab

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// filters reads the query parameters of a control listing: each at most
// once, and none it does not know (a misspelt filter would otherwise list
// everything).
func filters(r *http.Request, known ...string) (url.Values, error) {
	q := r.URL.Query()
	for name, values := range q {
		if !slices.Contains(known, name) {
			return nil, newError(CodeInvalidRequest, fmt.Sprintf("Unknown parameter %q: this listing filters on %s.", name, strings.Join(known, ", ")))
		}
		if len(values) > 1 {
			return nil, newError(CodeInvalidRequest, fmt.Sprintf("Parameter %q is given %d times; give it once.", name, len(values)))
		}
	}
	return q, nil
}

// listFixtures is GET /_sandbox/gitlab/fixtures: the partners with their
// credentials and the catalogue, so a harness needs no configuration to
// test this sandbox.
func (p *Portal) listFixtures(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, p.fixtures)
	return nil
}

// listSubscriptions is GET /_sandbox/gitlab/subscriptions, filtered by the
// query parameters partner, externalSubscriptionId and status.
func (p *Portal) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	q, err := filters(r, "partner", "externalSubscriptionId", "status")
	if err != nil {
		return err
	}
	status := subscription.Status(q.Get("status"))
	switch status {
	case "", subscription.Creating, subscription.Created, subscription.Provisioned, subscription.Failed:
	default:
		return newError(CodeInvalidRequest, "status must be Creating, Created, Provisioned or Failed.")
	}
	subs := p.subscriptions.List(subscription.Filter{
		Partner:    q.Get("partner"),
		ExternalID: q.Get("externalSubscriptionId"),
		Status:     status,
	})
	writeJSON(w, http.StatusOK, struct {
		Subscriptions []subscription.Subscription `json:"subscriptions"`
	}{subs})
	return nil
}

// listCallouts is GET /_sandbox/gitlab/callouts: every HTTP request the
// fake Zuora made, optionally for one subscriptionNumber.
func (p *Portal) listCallouts(w http.ResponseWriter, r *http.Request) error {
	q, err := filters(r, "subscriptionNumber")
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
	writeJSON(w, http.StatusOK, struct {
		Deliveries []zuora.Delivery `json:"deliveries"`
	}{out})
	return nil
}

// listOutbox is GET /_sandbox/gitlab/outbox: the license emails, optionally
// for one subscriptionNumber.
func (p *Portal) listOutbox(w http.ResponseWriter, r *http.Request) error {
	q, err := filters(r, "subscriptionNumber")
	if err != nil {
		return err
	}
	number := q.Get("subscriptionNumber")
	out := []license.Message{}
	for _, m := range p.outbox.Messages() {
		if number == "" || m.SubscriptionNumber == number {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Messages []license.Message `json:"messages"`
	}{out})
	return nil
}

func (p *Portal) serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(spec.YAML)
}
