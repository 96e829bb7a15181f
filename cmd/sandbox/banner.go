package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// printBanner tells a person where the sandbox listens, where a client on
// this host reaches it, and for each marketplace served its base URL, its
// credentials and one request to try.
func printBanner(w io.Writer, where listener, cfg sandbox.Config, fx fixtures.Fixtures) {
	baseURL := where.URL
	fmt.Fprintf(w, "marketplace-sandbox listening on %s (%s; clock: %s)\n", where.Listen, where.Interfaces, cfg.Clock)
	fmt.Fprintf(w, "  URL on this host:       %s\n", baseURL)
	fmt.Fprintf(w, "  control API:            %s/_sandbox (what is served), /_sandbox/health, /_sandbox/clock\n", baseURL)
	fmt.Fprintf(w, "  control access:         %s\n", controlAccess(where, cfg))
	if slices.Contains(cfg.Marketplaces, "gitlab") {
		printGitLab(w, baseURL, fx.GitLab)
	}
	if slices.Contains(cfg.Marketplaces, "microsoft") {
		printMicrosoft(w, baseURL, fx.Microsoft)
	}
}

func printGitLab(w io.Writer, baseURL string, fx fixtures.GitLab) {
	fmt.Fprintf(w, "  GitLab Marketplace API: %s/api/v1/marketplace/subscriptions (token: POST %s/oauth/token)\n", baseURL, baseURL)
	fmt.Fprintf(w, "    control: %s/_sandbox/gitlab/subscriptions\n", baseURL)
	fmt.Fprintln(w, "    credentials (client_id / client_secret: scopes, trading partners):")
	for _, p := range fx.Partners {
		fmt.Fprintf(w, "      %s / %s: %s; %s\n", p.ClientID, p.ClientSecret, strings.Join(p.Scopes, " "), strings.Join(p.TradingPartnerIDs, ", "))
	}
	if len(fx.Partners) > 0 {
		p := fx.Partners[0]
		fmt.Fprintf(w, "    try: curl -s -X POST %s/oauth/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d scope=marketplace.order:create\n",
			baseURL, p.ClientID, p.ClientSecret)
	}
}

func printMicrosoft(w io.Writer, baseURL string, fx fixtures.Microsoft) {
	fmt.Fprintf(w, "  Microsoft SaaS Fulfillment API v2: %s/api/saas/subscriptions?api-version=2018-08-31\n", baseURL)
	fmt.Fprintf(w, "    tokens: POST %s/{tenantId}/oauth2/v2.0/token (or /oauth2/token, v1); discovery: %s/{tenantId}/v2.0/.well-known/openid-configuration\n", baseURL, baseURL)
	fmt.Fprintf(w, "    control: %s/_sandbox/microsoft/purchases, /_sandbox/microsoft/subscriptions, /_sandbox/microsoft/webhooks\n", baseURL)
	fmt.Fprintln(w, "    publishers (id: tenant id / client id / client secret):")
	for _, p := range fx.Publishers {
		fmt.Fprintf(w, "      %s: %s / %s / %s\n", p.ID, p.TenantID, p.ClientID, p.ClientSecret)
	}
	if len(fx.Publishers) > 0 {
		p := fx.Publishers[0]
		fmt.Fprintf(w, "    try: curl -s -X POST %s/%s/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d scope=20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default\n",
			baseURL, p.TenantID, p.ClientID, p.ClientSecret)
	}
}

// controlAccess says who may drive the control API, and warns when that
// is anyone who reaches the port (docs/control-security.md).
func controlAccess(where listener, cfg sandbox.Config) string {
	switch {
	case cfg.ControlGuarded():
		return "token required (Authorization: Bearer <control_token>); /_sandbox/health needs none"
	case where.exposed:
		return "WARNING: open to every host that reaches " + where.Listen + " (control_open: true, no control_token): anyone there may reset the sandbox, move its clock or inject faults"
	default:
		return "open to programs on this host (no control_token); browsers' cross-site writes and Host names not in control_hosts are refused"
	}
}
