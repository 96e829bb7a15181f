package publisher

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// resolved is the answer of resolve (docs/microsoft.md §4).
type resolved struct {
	ID       string `json:"id"`
	OfferID  string `json:"offerId"`
	PlanID   string `json:"planId"`
	Quantity int    `json:"quantity"`
}

// operation is an operation as Get Operation answers it, and the part of
// a webhook payload this app reads (its id is the operation's).
type operation struct {
	ID                     string `json:"id"`
	SubscriptionID         string `json:"subscriptionId"`
	Action                 string `json:"action"`
	Status                 string `json:"status"`
	PlanID                 string `json:"planId"`
	Quantity               int    `json:"quantity"`
	OperationRequestSource string `json:"operationRequestSource"`
}

// plan is the part of listAvailablePlans this app reads.
type plan struct {
	PlanID         string `json:"planId"`
	PlanComponents struct {
		MeteringDimensions []struct {
			ID string `json:"id"`
		} `json:"meteringDimensions"`
	} `json:"planComponents"`
}

// usageEvent is one metering event (docs/microsoft.md §7).
type usageEvent struct {
	ResourceID         string    `json:"resourceId"`
	Quantity           float64   `json:"quantity"`
	Dimension          string    `json:"dimension"`
	EffectiveStartTime time.Time `json:"effectiveStartTime"`
	PlanID             string    `json:"planId"`
}

func subPath(id string) string { return "/api/saas/subscriptions/" + url.PathEscape(id) }

func (m *marketplace) resolve(ctx context.Context, token string) (resolved, error) {
	var r resolved
	err := m.call(ctx, http.MethodPost, "/api/saas/subscriptions/resolve", nil, &r, map[string]string{"x-ms-marketplace-token": token})
	return r, err
}

func (m *marketplace) activate(ctx context.Context, r resolved) error {
	body := map[string]any{"planId": r.PlanID}
	if r.Quantity > 0 {
		body["quantity"] = r.Quantity
	}
	return m.call(ctx, http.MethodPost, subPath(r.ID)+"/activate", body, nil, nil)
}

func (m *marketplace) dimensions(ctx context.Context, subscriptionID, planID string) ([]string, error) {
	var body struct{ Plans []plan }
	if err := m.call(ctx, http.MethodGet, subPath(subscriptionID)+"/listAvailablePlans?planId="+url.QueryEscape(planID), nil, &body, nil); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range body.Plans {
		for _, d := range p.PlanComponents.MeteringDimensions {
			out = append(out, d.ID)
		}
	}
	return out, nil
}

func (m *marketplace) getOperation(ctx context.Context, subscriptionID, operationID string) (operation, error) {
	var op operation
	err := m.call(ctx, http.MethodGet, subPath(subscriptionID)+"/operations/"+url.PathEscape(operationID), nil, &op, nil)
	return op, err
}

// ack settles an operation Microsoft started: Success accepts the change.
func (m *marketplace) ack(ctx context.Context, subscriptionID, operationID string) error {
	return m.call(ctx, http.MethodPatch, subPath(subscriptionID)+"/operations/"+url.PathEscape(operationID), map[string]string{"status": "Success"}, nil, nil)
}

func (m *marketplace) meter(ctx context.Context, e usageEvent) error {
	return m.call(ctx, http.MethodPost, "/api/usageEvent", e, nil, nil)
}
