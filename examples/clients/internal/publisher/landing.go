package publisher

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// landing is the landing page the customer arrives at with ?token=. The
// token is URL-encoded in the query (it holds + and /), and read once
// decoded, as r.URL.Query() gives it: resolve wants the token itself
// (docs/microsoft.md §4). The subscription is activated once.
func (a *app) landing(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if a.opts.Habits.EncodedToken {
		token = rawQueryValue(r.URL.RawQuery, "token")
	}
	if token == "" {
		http.Error(w, "no token in the landing page's URL", http.StatusBadRequest)
		return
	}
	sub, err := a.api.resolve(r.Context(), token)
	if err != nil && a.opts.Habits.EncodedToken {
		// As a developer would, after reading the 400's hint.
		a.printf("resolve with the token as it came: %v", err)
		sub, err = a.api.resolve(r.Context(), r.URL.Query().Get("token"))
	}
	if err != nil {
		a.printf("resolve: %v", err)
		http.Error(w, "the marketplace did not recognise this purchase", http.StatusBadGateway)
		return
	}
	if err := a.activateOnce(r.Context(), sub); err != nil {
		a.printf("activate %s: %v", sub.ID, err)
		http.Error(w, "activation failed", http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "Welcome: subscription %s is active on plan %s.\n", sub.ID, sub.PlanID)
}

// activateOnce activates a resolved subscription unless this app did so
// already (a customer may reload the landing page).
func (a *app) activateOnce(ctx context.Context, sub resolved) error {
	a.mu.Lock()
	_, done := a.active[sub.ID]
	a.mu.Unlock()
	if done && !a.opts.Habits.ActivateTwice {
		return nil
	}
	if err := a.api.activate(ctx, sub); err != nil {
		return err
	}
	if a.opts.Habits.ActivateTwice {
		if err := a.api.activate(ctx, sub); err != nil {
			a.printf("activate %s again: %v", sub.ID, err)
		}
	}
	a.mu.Lock()
	a.active[sub.ID] = sub
	a.mu.Unlock()
	a.printf("activated %s on plan %s (quantity %d)", sub.ID, sub.PlanID, sub.Quantity)
	return a.watchMetering(ctx, sub)
}

// rawQueryValue is a query parameter as it is on the wire, not decoded:
// the naive EncodedToken's mistake.
func rawQueryValue(rawQuery, name string) string {
	for _, pair := range strings.Split(rawQuery, "&") {
		if k, v, ok := strings.Cut(pair, "="); ok && k == name {
			return v
		}
	}
	return ""
}
