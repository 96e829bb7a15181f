package microsoft

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// purchaseRequest is the body of POST /_sandbox/microsoft/purchases: what a
// customer buys in Microsoft's storefront.
type purchaseRequest struct {
	PublisherID, OfferID, PlanID, TermUnit, Name *string
	Quantity                                     *int
	AutoRenew, IsFreeTrial, CSP, IsTest          *bool
	Beneficiary, Purchaser                       *subscription.Identity
}

// purchaseAnswer is the 201 of a purchase: the token as it appears,
// URL-encoded, in the landing page's query.
type purchaseAnswer struct {
	SubscriptionID string    `json:"subscriptionId"`
	Token          string    `json:"token"`
	LandingPageURL string    `json:"landingPageUrl"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

func setIdentity(dst **subscription.Identity) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		var id subscription.Identity
		if err := dec.Decode(&id); err != nil {
			return fmt.Errorf("must be an object of emailId, objectId, tenantId and puid (strings)")
		}
		*dst = &id
		return nil
	}
}

// purchase is POST /_sandbox/microsoft/purchases: a new subscription
// PendingFulfillmentStart, and the token the customer lands with on the
// publisher's landing page (docs/microsoft.md §5).
func (m *Marketplace) purchase(r *http.Request) (any, error) {
	var req purchaseRequest
	problems, err := m.readFields(r, map[string]func(json.RawMessage) error{
		"publisherId": setString(&req.PublisherID), "offerId": setString(&req.OfferID), "planId": setString(&req.PlanID),
		"termUnit": setString(&req.TermUnit), "name": setString(&req.Name), "quantity": setInt(&req.Quantity),
		"autoRenew": setBool(&req.AutoRenew), "isFreeTrial": setBool(&req.IsFreeTrial), "csp": setBool(&req.CSP),
		"isTest": setBool(&req.IsTest), "beneficiary": setIdentity(&req.Beneficiary), "purchaser": setIdentity(&req.Purchaser),
	})
	if err != nil {
		return nil, err
	}
	s, more := m.newPurchase(req)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, controlInvalid(problems)
	}
	pub, _ := m.publishers.get(s.PublisherID)
	now := m.now()
	expires := now.Add(m.settings.PurchaseTokenLifetime)
	m.subs.Add(s, subscription.Event{At: now, Kind: "purchase", Detail: fmt.Sprintf("purchased %s / %s", s.OfferID, s.PlanID)})
	token := m.tokens.issue(purchaseToken{subscriptionID: s.ID, expires: expires})
	m.sweep() // one more held may pass retention.max_records
	landing := landingURL(resolveURL(baseURLOr(r, m.opts.baseURL), pub.LandingPageURL), token)
	return answer{status: http.StatusCreated, body: purchaseAnswer{
		SubscriptionID: s.ID, Token: url.QueryEscape(token),
		LandingPageURL: landing, ExpiresAt: expires,
	}}, nil
}

func baseURLOr(r *http.Request, fallback string) string {
	if r != nil && r.Host != "" {
		return baseURL(r)
	}
	return fallback
}

// newPurchase checks a purchase against the catalogue, listing every bad
// field, and builds its subscription.
func (m *Marketplace) newPurchase(req purchaseRequest) (subscription.Subscription, []FieldProblem) {
	var problems []FieldProblem
	bad := func(field, format string, args ...any) {
		problems = append(problems, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	offer, plan := m.purchasedPlan(req, bad)
	s := subscription.Subscription{
		ID: subscription.NewID(), OfferID: offer.OfferID, PublisherID: offer.PublisherID, PlanID: plan.PlanID,
		SaasSubscriptionStatus: subscription.PendingFulfillmentStart, AutoRenew: deref(req.AutoRenew, true),
		IsTest: deref(req.IsTest, false), IsFreeTrial: deref(req.IsFreeTrial, false),
		AllowedCustomerOperations: []string{subscription.AllowRead, subscription.AllowUpdate, subscription.AllowDelete},
		SessionID:                 subscription.NewID(), FulfillmentID: subscription.NewID(), StoreFront: "AzurePortal",
		SandboxType: "None", SessionMode: "None", Created: m.now(),
	}
	if deref(req.CSP, false) {
		s.AllowedCustomerOperations = []string{subscription.AllowRead}
		if s.IsTest {
			s.SandboxType = "Csp"
		}
	}
	if req.PublisherID != nil && *req.PublisherID != offer.PublisherID && offer.OfferID != "" {
		bad("publisherId", "offer %s belongs to publisher %s, not %s", offer.OfferID, offer.PublisherID, *req.PublisherID)
	}
	s.Quantity = purchasedQuantity(req, plan, bad)
	s.Term.TermUnit = plan.TermUnit()
	if req.TermUnit != nil {
		s.Term.TermUnit = *req.TermUnit
		if plan.PlanID != "" && !plan.HasTermUnit(*req.TermUnit) {
			bad("termUnit", "plan %s is not sold for %q", plan.PlanID, *req.TermUnit)
		}
	}
	if s.IsFreeTrial && plan.PlanID != "" && !plan.HasFreeTrials {
		bad("isFreeTrial", "plan %s has no free trial", plan.PlanID)
	}
	s.Name = deref(req.Name, fmt.Sprintf("%s %s", plan.DisplayName, s.ID[:8]))
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		bad("name", "must be 1 to 200 characters")
	}
	s.Beneficiary = identity(req.Beneficiary, "beneficiary", bad)
	s.Purchaser = identity(req.Purchaser, "purchaser", bad)
	if req.Purchaser == nil {
		s.Purchaser = s.Beneficiary
	}
	return s, problems
}

func (m *Marketplace) purchasedPlan(req purchaseRequest, bad func(string, string, ...any)) (fixtures.Offer, fixtures.Plan) {
	if req.OfferID == nil {
		bad("offerId", "is required")
		return fixtures.Offer{}, fixtures.Plan{}
	}
	offer, ok := m.catalog.byID[*req.OfferID]
	if !ok {
		bad("offerId", "no offer %q in the fixtures", *req.OfferID)
		return fixtures.Offer{}, fixtures.Plan{}
	}
	if req.PlanID == nil {
		bad("planId", "is required")
		return offer, fixtures.Plan{}
	}
	plan, ok := offer.Plan(*req.PlanID)
	switch {
	case !ok:
		bad("planId", "offer %s has no plan %q", offer.OfferID, *req.PlanID)
	case plan.IsStopSell:
		bad("planId", "plan %s is no longer sold (isStopSell)", plan.PlanID)
	}
	return offer, plan
}

func purchasedQuantity(req purchaseRequest, plan fixtures.Plan, bad func(string, string, ...any)) int {
	switch {
	case plan.PlanID == "":
		return 0
	case !plan.IsPricePerSeat && req.Quantity != nil:
		bad("quantity", "plan %s is flat-rate and has no quantity", plan.PlanID)
		return 0
	case !plan.IsPricePerSeat:
		return 0
	case req.Quantity == nil:
		return plan.MinQuantity
	case *req.Quantity > plan.MaxQuantity:
		bad("quantity", "is above the maximum of plan %s, which takes %d to %d seats", plan.PlanID, plan.MinQuantity, plan.MaxQuantity)
	case *req.Quantity < plan.MinQuantity:
		bad("quantity", "is below the minimum of plan %s, which takes %d to %d seats", plan.PlanID, plan.MinQuantity, plan.MaxQuantity)
	}
	return *req.Quantity
}

// identity checks a purchaser or beneficiary, or invents one.
func identity(given *subscription.Identity, field string, bad func(string, string, ...any)) subscription.Identity {
	if given == nil {
		id := subscription.NewID()
		return subscription.Identity{EmailID: "customer-" + id[:8] + "@customer.example", ObjectID: id, TenantID: subscription.NewID(), PUID: "1003" + strings.ReplaceAll(id[:13], "-", "")}
	}
	out := *given
	if out.EmailID == "" {
		bad(field+".emailId", "is required")
	} else if a, err := mail.ParseAddress(out.EmailID); err != nil || a.Address != out.EmailID {
		bad(field+".emailId", "%q is not an email address", out.EmailID)
	}
	if out.ObjectID == "" {
		out.ObjectID = subscription.NewID()
	} else if !fixtures.IsGUID(out.ObjectID) {
		bad(field+".objectId", "%q is not a GUID", out.ObjectID)
	}
	if out.TenantID == "" {
		out.TenantID = subscription.NewID()
	} else if !fixtures.IsGUID(out.TenantID) {
		bad(field+".tenantId", "%q is not a GUID", out.TenantID)
	}
	return out
}

func deref[T any](p *T, fallback T) T {
	if p == nil {
		return fallback
	}
	return *p
}
