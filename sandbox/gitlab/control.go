package gitlab

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// Listing bounds: a page holds defaultPage items unless limit says
// otherwise, and never more than maxPage.
const (
	defaultPage = 100
	maxPage     = 1000
)

// page is the limit and offset of a control listing.
type page struct{ limit, offset int }

// filters reads the query parameters of a control listing: each at most
// once, and none it does not know (a misspelt filter would otherwise list
// everything). limit and offset are known to every listing.
func filters(r *http.Request, known ...string) (url.Values, page, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, page{}, newError(CodeInvalidRequest, "The query string is malformed: "+err.Error()+".")
	}
	all := append(append([]string(nil), known...), "limit", "offset")
	for name, values := range q {
		if !slices.Contains(all, name) {
			return nil, page{}, newError(CodeInvalidRequest, fmt.Sprintf("Unknown parameter %s: this listing takes %s.", quote(name), strings.Join(all, ", ")))
		}
		if len(values) > 1 {
			return nil, page{}, newError(CodeInvalidRequest, fmt.Sprintf("Parameter %s is given %d times; give it once.", quote(name), len(values)))
		}
	}
	pg := page{limit: defaultPage}
	for _, p := range []struct {
		name     string
		min, max int
		into     *int
	}{{"limit", 1, maxPage, &pg.limit}, {"offset", 0, math.MaxInt32, &pg.offset}} {
		text, set := q[p.name]
		if !set {
			continue
		}
		n, err := strconv.Atoi(text[0])
		if err != nil || n < p.min || n > p.max || strconv.Itoa(n) != text[0] {
			return nil, page{}, newError(CodeInvalidRequest, fmt.Sprintf("%s must be a whole number from %d to %d, not %s.", p.name, p.min, p.max, quote(text[0])))
		}
		*p.into = n
	}
	return q, pg, nil
}

// listing is the envelope of every control listing: the page of items
// under its name, how many match in all, and the link to the next page
// when there is one.
func listing[T any](r *http.Request, name string, items []T, pg page) map[string]any {
	total := len(items)
	start := min(pg.offset, total)
	end := min(start+pg.limit, total)
	out := map[string]any{name: append([]T{}, items[start:end]...), "total": total, "limit": pg.limit, "offset": pg.offset}
	if end < total {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(end))
		q.Set("limit", strconv.Itoa(pg.limit))
		out["next"] = r.URL.Path + "?" + q.Encode()
	}
	return out
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
	subs := p.subscriptions.List(subscription.Filter{
		Partner:    q.Get("partner"),
		ExternalID: q.Get("externalSubscriptionId"),
		Status:     status,
	})
	writeJSON(w, http.StatusOK, listing(r, "subscriptions", subs, pg))
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
	writeJSON(w, http.StatusOK, listing(r, "deliveries", out, pg))
	return nil
}

// listOutbox is GET /_sandbox/gitlab/outbox: the license emails, optionally
// for one subscriptionNumber.
func (p *Portal) listOutbox(w http.ResponseWriter, r *http.Request) error {
	q, pg, err := filters(r, "subscriptionNumber")
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
	writeJSON(w, http.StatusOK, listing(r, "messages", out, pg))
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
