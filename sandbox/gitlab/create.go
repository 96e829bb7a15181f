package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

// subscriptionView is the body of create and status answers (docs/gitlab.md §5):
// the subscription number appears once the order left Creating, the
// failure reason only when it Failed.
type subscriptionView struct {
	ExternalSubscriptionID string `json:"externalSubscriptionId"`
	SubscriptionNumber     string `json:"subscriptionNumber,omitempty"`
	Status                 string `json:"status"`
	FailureReason          string `json:"failureReason,omitempty"`
	CreatedAt              string `json:"createdAt"`
	UpdatedAt              string `json:"updatedAt"`
}

// timeFormat is how Rails renders times in JSON: UTC, milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func viewOf(s subscription.Subscription) subscriptionView {
	v := subscriptionView{
		ExternalSubscriptionID: s.ExternalID,
		Status:                 string(s.Status),
		FailureReason:          s.FailureReason,
		CreatedAt:              s.CreatedAt.UTC().Format(timeFormat),
		UpdatedAt:              s.UpdatedAt.UTC().Format(timeFormat),
	}
	if s.Status != subscription.Creating {
		v.SubscriptionNumber = s.Number
	}
	return v
}

// createSubscription is POST /api/v1/marketplace/subscriptions (reference
// §4). Checks run in this order: content type (415), size (413), UTF-8 and
// JSON syntax (400), then the schema and the portal's own rules together
// (422, every bad field at once), then duplicates (replay or 409).
func (p *Portal) createSubscription(w http.ResponseWriter, r *http.Request, tok oauth.Token) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readBody(r, p.settings.MaxBodyBytes)
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return newError(CodeBadRequest, "The request body is not valid UTF-8.")
	}
	if !json.Valid(body) {
		var probe any
		return newError(CodeBadRequest, "The request body is not valid JSON: "+jsonProblem(json.Unmarshal(body, &probe))+".")
	}
	order, fields, err := p.validateOrder(r, body, tok.Owner)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		e := newError(CodeValidationFailed, fmt.Sprintf("The order is invalid: %d problem(s) found.", len(fields)))
		e.Fields = sortFields(fields)
		return e
	}
	return p.placeOrReplay(w, r.Context(), tok.Owner, order, fingerprint(order))
}

// validateOrder checks the body against the OpenAPI document and the
// portal's own rules. The body is decoded once, generically: the schema is
// checked on that value and the order read from it, by exact field names
// as the schema sees them (encoding/json's typed decoding would also take
// "Quantity" for "quantity", a field the schema never checked).
func (p *Portal) validateOrder(r *http.Request, body []byte, partner string) (subscription.Order, []openapi.FieldError, error) {
	v, err := p.validator.Get()
	if err != nil {
		return subscription.Order{}, nil, err
	}
	raw, fields := v.ValidateJSONRequest(r, body)
	if raw == nil {
		_ = json.Unmarshal(body, &raw) // json.Valid said it parses
	}
	if len(fields) > 0 {
		return subscription.Order{}, append(fields, p.checkOrder(factsOfRaw(raw), partner)...), nil
	}
	order, err := orderOf(raw)
	if err != nil {
		return order, nil, fmt.Errorf("reading a validated order: %w", err)
	}
	return order, p.checkOrder(factsOf(order), partner), nil
}

func (p *Portal) placeOrReplay(w http.ResponseWriter, ctx context.Context, partner string, order subscription.Order, fp string) error {
	now := p.clock.Now()
	sub := subscription.Subscription{
		Key:       subscription.Key{Partner: partner, ExternalID: order.ExternalSubscriptionID},
		Status:    subscription.Creating,
		Order:     order,
		CreatedAt: now,
		UpdatedAt: now,
	}
	reply, err := p.subscriptions.Claim(ctx, sub, fp, p.settings.Duplicates == "replay")
	switch {
	case errors.Is(err, subscription.ErrDuplicate):
		return newError(CodeDuplicate, "externalSubscriptionId "+quote(order.ExternalSubscriptionID)+" was already used for a different order.")
	case err != nil:
		return newError(CodeBadRequest, "The request was cancelled while waiting for the first request with the same externalSubscriptionId.")
	case reply != nil && reply.Status == 0:
		return newError(CodeDuplicate, "The first order with this externalSubscriptionId was discarded by a sandbox reset; retry.")
	case reply != nil:
		writeRaw(w, reply.Status, reply.Body)
		return nil
	}
	placed := p.placeOrder(ctx, sub.Key, order)
	out, err := json.Marshal(viewOf(placed))
	if err != nil {
		return err
	}
	p.subscriptions.Answer(sub.Key, subscription.Reply{Status: http.StatusCreated, Body: out})
	writeRaw(w, http.StatusCreated, out)
	return nil
}

// requireJSON accepts application/json with no charset or UTF-8.
func requireJSON(r *http.Request) error {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mediaType == "application/json" {
		if cs, ok := params["charset"]; !ok || equalFoldASCII(cs, "utf-8") {
			return nil
		}
	}
	return newError(CodeUnsupportedMediaType, "Send the order as application/json (UTF-8).")
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// jsonProblem describes a syntax error without echoing the body.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	}
	return "unexpected end of input"
}

// fingerprint hashes the order as the portal understood it, so a retry
// with other spacing, key order or number spelling (10 or 10.0) counts as
// identical, and so do fields the portal ignores.
func fingerprint(order subscription.Order) string {
	canonical, _ := json.Marshal(order)
	sum := sha256.Sum256(canonical)
	return string(sum[:])
}

func quote(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// getSubscription is GET /api/v1/marketplace/subscriptions/{id}. Another
// partner's subscription answers 404, like an unknown one, so ids do not
// leak between tenants ([OURS], docs/gitlab.md §3).
func (p *Portal) getSubscription(w http.ResponseWriter, r *http.Request, tok oauth.Token) error {
	id := pathVar(r, "external_subscription_id")
	sub, err := p.subscriptions.Get(subscription.Key{Partner: tok.Owner, ExternalID: id})
	if err != nil {
		return newError(CodeNotFound, "No subscription with externalSubscriptionId "+quote(id)+" exists for this partner.")
	}
	writeJSON(w, http.StatusOK, viewOf(sub))
	return nil
}
