package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// buy plays the customer: a purchase in Microsoft's storefront (the
// sandbox's control API, POST {control}/microsoft/purchases), then the
// browser's visit to the landing page it answers with ?token=.
func (a *app) buy(ctx context.Context, planID string, quantity int) error {
	body := map[string]any{"offerId": a.env.OfferID, "planId": planID}
	if quantity > 0 {
		body["quantity"] = quantity
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.env.ControlURL+"/microsoft/purchases", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	a.controlAuth(req)
	var bought struct {
		SubscriptionID string `json:"subscriptionId"`
		LandingPageURL string `json:"landingPageUrl"`
	}
	if err := a.do(req, http.StatusCreated, &bought); err != nil {
		return fmt.Errorf("purchase of %s: %w", planID, err)
	}
	a.printf("customer bought %s (subscription %s)", planID, bought.SubscriptionID)
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, bought.LandingPageURL, nil)
	if err != nil {
		return err
	}
	if err := a.do(req, http.StatusOK, nil); err != nil {
		return fmt.Errorf("landing page: %w", err)
	}
	return nil
}

func (a *app) do(req *http.Request, want int, out any) error {
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s answered %d: %s", req.Method, req.URL.Redacted(), resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// sessionDone: the session says every challenge has state "fired".
func (a *app) sessionDone(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.env.SessionURL, nil)
	if err != nil {
		return false
	}
	a.controlAuth(req)
	var s struct {
		Challenges []struct {
			State string `json:"state"`
		} `json:"challenges"`
	}
	if a.do(req, http.StatusOK, &s) != nil || len(s.Challenges) == 0 {
		return false
	}
	for _, c := range s.Challenges {
		if c.State != "fired" {
			return false
		}
	}
	return true
}

// controlAuth adds the sandbox's control token, when it has one, to a
// request for its control API (never to the marketplace API's).
func (a *app) controlAuth(req *http.Request) {
	if a.env.ControlToken != "" {
		req.Header.Set("Authorization", "Bearer "+a.env.ControlToken)
	}
}
