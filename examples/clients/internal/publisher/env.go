// Package publisher is a SaaS publisher's app for Microsoft's commercial
// marketplace: the landing page that resolves and activates a purchase,
// the webhook that verifies Microsoft's JWT, reads the operation and
// acknowledges the changes that need it, and hourly metering
// (docs/microsoft.md §4–§7). It is the code behind the reference clients
// microsoft-good (the zero Habits: what certification expects) and
// microsoft-naive (each bad habit switched on by a flag).
package publisher

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Env is the environment a session gives a Microsoft publisher's command
// (contract of issue #14).
type Env struct {
	APIURL        string // MARKETPLACE_API_URL: /api/saas/... and /api/usageEvent are under it
	AuthorityHost string // AZURE_AUTHORITY_HOST: /{tenant}/oauth2/v2.0/token and discovery
	TenantID      string // AZURE_TENANT_ID
	ClientID      string // AZURE_CLIENT_ID: also the aud of the webhooks' JWTs
	ClientSecret  string // AZURE_CLIENT_SECRET
	Scope         string // MARKETPLACE_SCOPE: 20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default
	WebhookURL    string // MARKETPLACE_WEBHOOK_URL: where this app listens for webhooks
	LandingURL    string // MARKETPLACE_LANDING_URL: its landing page
	OfferID       string // MARKETPLACE_OFFER_ID
	PlanID        string // MARKETPLACE_PLAN_ID: a flat-rate plan
	SeatPlanID    string // MARKETPLACE_SEAT_PLAN_ID: a per-seat plan
	ControlURL    string // SANDBOX_CONTROL_URL: the test plays the customer here
	// ControlToken is SANDBOX_CONTROL_TOKEN, the sandbox's control_token
	// when it has one: sent with the control calls only.
	ControlToken string
	// SessionURL is the session to watch for the end of its challenges:
	// SANDBOX_SESSION_URL, else SANDBOX_BASE_URL/_sandbox/sessions/
	// SANDBOX_SESSION_ID; empty outside a session.
	SessionURL string
}

// LoadEnv reads Env through getenv, naming every variable missing.
func LoadEnv(getenv func(string) string) (Env, error) {
	trim := func(name string) string { return strings.TrimRight(getenv(name), "/") }
	e := Env{
		APIURL: trim("MARKETPLACE_API_URL"), AuthorityHost: trim("AZURE_AUTHORITY_HOST"),
		TenantID: getenv("AZURE_TENANT_ID"), ClientID: getenv("AZURE_CLIENT_ID"), ClientSecret: getenv("AZURE_CLIENT_SECRET"),
		Scope: getenv("MARKETPLACE_SCOPE"), WebhookURL: getenv("MARKETPLACE_WEBHOOK_URL"), LandingURL: getenv("MARKETPLACE_LANDING_URL"),
		OfferID: getenv("MARKETPLACE_OFFER_ID"), PlanID: getenv("MARKETPLACE_PLAN_ID"), SeatPlanID: getenv("MARKETPLACE_SEAT_PLAN_ID"),
		ControlURL: trim("SANDBOX_CONTROL_URL"), SessionURL: getenv("SANDBOX_SESSION_URL"), ControlToken: getenv("SANDBOX_CONTROL_TOKEN"),
	}
	if e.SessionURL == "" && getenv("SANDBOX_SESSION_ID") != "" && getenv("SANDBOX_BASE_URL") != "" {
		e.SessionURL = trim("SANDBOX_BASE_URL") + "/_sandbox/sessions/" + getenv("SANDBOX_SESSION_ID")
	}
	var missing []string
	for name, v := range map[string]string{
		"MARKETPLACE_API_URL": e.APIURL, "AZURE_AUTHORITY_HOST": e.AuthorityHost, "AZURE_TENANT_ID": e.TenantID,
		"AZURE_CLIENT_ID": e.ClientID, "AZURE_CLIENT_SECRET": e.ClientSecret, "MARKETPLACE_SCOPE": e.Scope,
		"MARKETPLACE_WEBHOOK_URL": e.WebhookURL, "MARKETPLACE_LANDING_URL": e.LandingURL,
		"MARKETPLACE_OFFER_ID": e.OfferID, "MARKETPLACE_SEAT_PLAN_ID": e.SeatPlanID, "SANDBOX_CONTROL_URL": e.ControlURL,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("missing environment: %s", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return e, nil
}

// Start is what the commands' run does: read the environment through
// getenv and Run.
func Start(ctx context.Context, getenv func(string) string, o Options) error {
	env, err := LoadEnv(getenv)
	if err != nil {
		return err
	}
	return Run(ctx, env, o)
}
