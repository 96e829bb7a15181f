package microsoft

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// resolvedSubscription is the answer of resolve (docs/microsoft.md §4).
type resolvedSubscription struct {
	ID               string                    `json:"id"`
	SubscriptionName string                    `json:"subscriptionName"`
	OfferID          string                    `json:"offerId"`
	PlanID           string                    `json:"planId"`
	Quantity         int                       `json:"quantity,omitempty"`
	Subscription     subscription.Subscription `json:"subscription"`
}

// resolve is POST /api/saas/subscriptions/resolve: the landing page's
// token, URL-decoded, in x-ms-marketplace-token, becomes the subscription
// it stands for, in whatever state that subscription is now.
func (m *Marketplace) resolve(w http.ResponseWriter, r *http.Request, c caller) error {
	value := r.Header.Get(HeaderMarketplaceToken)
	if value == "" {
		return newError(CodeHeaderNotPresent, HeaderMarketplaceToken, "Mandatory header missing")
	}
	t, found, expired := m.tokens.lookup(value, m.now())
	switch {
	case !found:
		return newError(CodeBadRequest, HeaderMarketplaceToken, "The marketplace token is invalid."+tokenHint(value))
	case expired:
		return newError(CodeBadRequest, HeaderMarketplaceToken, "The marketplace token has expired.")
	}
	s, err := m.subs.Get(t.subscriptionID)
	if err != nil {
		return m.refusalError(err, "subscriptionId")
	}
	if s.PublisherID != c.publisher.ID {
		return errForbidden()
	}
	m.subs.Note(s.ID, subscription.Event{At: m.now(), Kind: "resolve", Detail: "resolved by " + c.publisher.ID})
	writeJSON(w, http.StatusOK, resolvedSubscription{ID: s.ID, SubscriptionName: s.Name, OfferID: s.OfferID, PlanID: s.PlanID, Quantity: s.Quantity, Subscription: s})
	return nil
}

// tokenHint explains the two usual ways a landing page damages the token.
func tokenHint(value string) string {
	switch {
	case strings.Contains(value, "%2B") || strings.Contains(value, "%2F") || strings.Contains(value, "%3D"):
		return " It looks URL-encoded: URL-decode the landing page's token query parameter before sending it."
	case strings.Contains(value, " "):
		return " It holds a space: a '+' of the token was decoded as a space."
	}
	return ""
}

// activate is POST /api/saas/subscriptions/{id}/activate with the plan
// and quantity purchased: the subscription becomes Subscribed and its
// first term starts.
func (m *Marketplace) activate(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		return err
	}
	body, err := m.readBody(r)
	if err != nil {
		return err
	}
	a := subscription.Activation{TrialMonths: m.settings.FreeTrialMonths}
	if m.activateChecksPurchase() {
		req, err := readActivation(body)
		if err != nil {
			return err
		}
		a.CheckPurchase = func(s subscription.Subscription) error { return m.checkActivation(s, req) }
	}
	if err := m.activateSubscription(s.ID, a); err != nil {
		if isLocked(err) {
			// Microsoft's file gives activate no 409: a pending operation
			// (the publisher's own unsubscribe) is a 400 here.
			return newError(CodeBadRequest, "activate", err.(*subscription.Refusal).Message+" Activate once it has completed.")
		}
		return m.refusalError(err, "activate")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// activationRequest is the body of activate: the plan and, for a
// per-seat plan, the quantity purchased.
type activationRequest struct {
	planID      string
	quantity    int64
	hasQuantity bool
}

func readActivation(body []byte) (activationRequest, error) {
	obj, err := jsonObject(body, "activate")
	if err != nil {
		return activationRequest{}, err
	}
	plan, given, err := stringField(obj, "planId", "planId")
	if err != nil {
		return activationRequest{}, err
	}
	if !given {
		return activationRequest{}, newError(CodeBadRequest, "planId", "planId is required.")
	}
	q, hasQ, err := quantityField(obj)
	if err != nil {
		return activationRequest{}, err
	}
	return activationRequest{planID: plan, quantity: q, hasQuantity: hasQ}, nil
}

// checkActivation compares an activation with the purchase (the 2022
// pages: 400 for a plan or quantity other than purchased). Microsoft's
// example sends the purchased planId and quantity, and no public source
// says an omitted quantity defaults to the purchase's: a per-seat plan
// needs it, which the answer says (docs/microsoft.md §4). A flat-rate
// plan has none; 0 counts as none, as an absent quantity reads 0.
func (m *Marketplace) checkActivation(s subscription.Subscription, req activationRequest) error {
	plan := m.planOf(s)
	switch {
	case req.planID != s.PlanID:
		return newError(CodeBadRequest, "planId", fmt.Sprintf("Plan %s does not match the purchased plan %s of subscription %s.", req.planID, s.PlanID, s.ID))
	case !plan.IsPricePerSeat && req.hasQuantity && req.quantity != 0:
		return newError(CodeBadRequest, "quantity", fmt.Sprintf("Plan %s is flat-rate and has no quantity; activate with planId only.", s.PlanID))
	case !plan.IsPricePerSeat:
		return nil
	case !req.hasQuantity:
		return newError(CodeBadRequest, "quantity", fmt.Sprintf("quantity is required to activate a subscription to per-seat plan %s: send the purchased quantity, %d.", s.PlanID, s.Quantity))
	}
	if err := seatsInRange(plan, req.quantity, ""); err != nil {
		return err
	}
	if req.quantity != int64(s.Quantity) {
		return newError(CodeBadRequest, "quantity", fmt.Sprintf("Quantity %d does not match the purchased quantity %d of subscription %s.", req.quantity, s.Quantity, s.ID))
	}
	return nil
}

// getSubscription is GET /api/saas/subscriptions/{id}.
func (m *Marketplace) getSubscription(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		return err
	}
	m.writeSubscription(w, s)
	return nil
}

// writeSubscription answers one subscription, encoded by AppendJSON
// (the bytes encoding/json would write, without its reflection).
func (m *Marketplace) writeSubscription(w http.ResponseWriter, s subscription.Subscription) {
	buf, _ := m.answerBuffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer m.answerBuffers.Put(buf)
	body, err := s.AppendJSON((*buf)[:0])
	if err != nil {
		writeJSON(w, http.StatusOK, s) // encoding/json's own failure, answered as writeJSON answers it
		return
	}
	body = append(body, '\n')
	*buf = body[:0] // keep what it grew to
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a Writer must not retain p (io.Writer), so the buffer goes back
}

// subscriptionsPage is the answer of the list.
type subscriptionsPage struct {
	Subscriptions []subscription.Subscription `json:"subscriptions"`
	NextLink      string                      `json:"@nextLink,omitempty"`
}

// listSubscriptions is GET /api/saas/subscriptions: the caller's
// subscriptions in every state, oldest first, microsoft.page_size a page;
// @nextLink carries an opaque continuationToken for the next one.
func (m *Marketplace) listSubscriptions(w http.ResponseWriter, r *http.Request, c caller) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	offset := 0
	if tok := q.Get("continuationToken"); tok != "" {
		n, ok := m.readContinuation(tok, c.publisher.ID)
		if !ok {
			return newError(CodeBadRequest, "continuationToken", "The continuationToken is invalid; use the @nextLink of the previous page as it is.")
		}
		offset = n
	}
	subs, total := m.subs.Page(c.publisher.ID, offset, m.settings.PageSize)
	page := subscriptionsPage{Subscriptions: subs}
	if end := min(offset, total) + len(subs); end < total {
		q := url.Values{"continuationToken": {m.continuation(end, c.publisher.ID)}, "api-version": {APIVersion}}
		page.NextLink = baseURL(r) + "/api/saas/subscriptions?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// continuation is the opaque token for the page starting at offset: the
// offset and the publisher, signed, so a changed or borrowed token is 400.
func (m *Marketplace) continuation(offset int, publisherID string) string {
	payload := strconv.Itoa(offset) + ":" + publisherID
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + m.mac(payload)
}

func (m *Marketplace) readContinuation(tok, publisherID string) (int, bool) {
	enc, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(m.mac(string(raw)))) {
		return 0, false
	}
	off, pub, ok := strings.Cut(string(raw), ":")
	n, err := strconv.Atoi(off)
	if !ok || err != nil || n < 0 || pub != publisherID {
		return 0, false
	}
	return n, true
}

func (m *Marketplace) mac(payload string) string {
	h := hmac.New(sha256.New, m.secret[:])
	h.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// plansAnswer is the answer of listAvailablePlans.
type plansAnswer struct {
	Plans []fixtures.Plan `json:"plans"`
}

// listAvailablePlans is GET /api/saas/subscriptions/{id}/listAvailablePlans
// [?planId=]: the plans of the subscription's offer, private ones
// included (the customer was offered them), stop-sell ones left out
// unless it is the current plan.
func (m *Marketplace) listAvailablePlans(w http.ResponseWriter, r *http.Request, c caller) error {
	s, err := m.owned(r, c)
	if err != nil {
		return err
	}
	q, err := query(r)
	if err != nil {
		return err
	}
	offer := m.catalog.byID[s.OfferID]
	filter, filtered := q["planId"]
	out := []fixtures.Plan{}
	for _, p := range offer.Plans {
		if p.IsStopSell && p.PlanID != s.PlanID {
			continue
		}
		if filtered && p.PlanID != filter[0] {
			continue
		}
		out = append(out, wirePlan(p))
	}
	writeJSON(w, http.StatusOK, plansAnswer{Plans: out})
	return nil
}

// wirePlan gives a plan's lists as [] rather than null.
func wirePlan(p fixtures.Plan) fixtures.Plan {
	pc := &p.PlanComponents
	if pc.RecurrentBillingTerms == nil {
		pc.RecurrentBillingTerms = []fixtures.BillingTerm{}
	}
	if pc.MeteringDimensions == nil {
		pc.MeteringDimensions = []fixtures.MeteringDimension{}
	}
	terms := make([]fixtures.BillingTerm, len(pc.RecurrentBillingTerms))
	for i, t := range pc.RecurrentBillingTerms {
		if t.MeteredQuantityIncluded == nil {
			t.MeteredQuantityIncluded = []fixtures.IncludedQuantity{}
		}
		terms[i] = t
	}
	pc.RecurrentBillingTerms = terms
	return p
}

// operationLocation is the Operation-Location of an operation.
func operationLocation(base, subID, opID string) string {
	return fmt.Sprintf("%s/api/saas/subscriptions/%s/operations/%s?api-version=%s", base, subID, opID, APIVersion)
}
