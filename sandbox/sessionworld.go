package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/entra"
)

// world is what a session's marketplace is made of: the fixtures of its
// own sandbox (one fresh partner or publisher, the catalogue of the
// sandbox's fixtures), the credentials handed to the partner, the
// environment certify-client gives the partner's command (README,
// "Certifying a client"), and the keys its traffic is routed by.
type world struct {
	fixtures    fixtures.Fixtures
	credentials map[string]any
	env         map[string]string
	// tenant routes Microsoft traffic (Entra paths, bearer tid); GitLab's
	// is routed by the session id in its client id and token prefix.
	tenant string
}

// sessionWorlds builds, by marketplace name, the world of a new session
// from the sandbox's fixtures; base is the sandbox's public base URL and
// prefix the session's (base + /_sandbox/sessions/{id}).
var sessionWorlds = map[string]func(id string, fx fixtures.Fixtures, at sessionAddress, req sessionRequest) (world, error){
	"gitlab":    gitlabWorld,
	"microsoft": microsoftWorld,
}

// sessionClientPrefix starts the OAuth client id of every session's GitLab
// partner; the session id follows.
const sessionClientPrefix = "session-"

// sessionAddress is where a session is reached: base is the sandbox's
// base URL as the session's creator reached it (what its partner is told),
// prefix the session's own (base + /_sandbox/sessions/{id}), and
// self and selfPrefix the sandbox's base URL and the session's prefix on
// the address the sandbox reaches itself at (for the deliveries it sends itself, such as the sample
// publisher's webhooks).
type sessionAddress struct{ base, prefix, self, selfPrefix string }

func gitlabWorld(id string, fx fixtures.Fixtures, at sessionAddress, _ sessionRequest) (world, error) {
	base := at.base
	if len(fx.GitLab.Products) == 0 {
		return world{}, badRequest("The sandbox's fixtures have no GitLab products to order.")
	}
	p := fixtures.Partner{
		ID: sessionClientPrefix + id, Name: "Certification session " + id, ClientID: sessionClientPrefix + id,
		ClientSecret: randomHex(24), Scopes: []string{fixtures.ScopeRead, fixtures.ScopeCreate},
		TradingPartnerIDs: []string{"TP-" + strings.ToUpper(id)}, ZuoraInvoiceOwner: "A9" + randomDigits(7),
		SalesforceDistributorAccount: "0015g0000" + strings.ToUpper(id[1:10]),
	}
	out := fx
	out.GitLab.Partners = []fixtures.Partner{p}
	scopes := strings.Join(p.Scopes, " ")
	product := fx.GitLab.Products[0].ID
	return world{
		fixtures: out,
		credentials: map[string]any{
			"partnerId": p.ID, "clientId": p.ClientID, "clientSecret": p.ClientSecret, "scopes": p.Scopes,
			"tradingPartnerId": p.TradingPartnerIDs[0], "tokenUrl": base + "/oauth/token", "productId": product,
		},
		env: map[string]string{
			"GITLAB_PORTAL_URL": base, "GITLAB_CLIENT_ID": p.ClientID, "GITLAB_CLIENT_SECRET": p.ClientSecret,
			"GITLAB_SCOPES": scopes, "GITLAB_TRADING_PARTNER_ID": p.TradingPartnerIDs[0], "GITLAB_PRODUCT_ID": product,
		},
	}, nil
}

func microsoftWorld(id string, fx fixtures.Fixtures, at sessionAddress, req sessionRequest) (world, error) {
	base := at.base
	if len(fx.Microsoft.Publishers) == 0 || len(fx.Microsoft.Offers) == 0 {
		return world{}, badRequest("The sandbox's fixtures have no Microsoft publisher and offer to copy.")
	}
	model := fx.Microsoft.Publishers[0]
	// The session's sample publisher is under its prefix: the webhook
	// where the sandbox reaches itself, the landing page where the
	// customer's browser does.
	pub := fixtures.Publisher{
		ID: sessionClientPrefix + id, Name: "Certification session " + id, TenantID: randomGUID(), ClientID: randomGUID(),
		ClientSecret: randomHex(24), WebhookURL: at.selfPrefix + "/_sandbox/microsoft/sample/webhook",
		LandingPageURL: at.prefix + "/_sandbox/microsoft/sample/landing",
	}
	if req.WebhookURL != "" {
		pub.WebhookURL = req.WebhookURL
	}
	if req.LandingPageURL != "" {
		pub.LandingPageURL = req.LandingPageURL
	}
	out := fx
	out.Microsoft = fixtures.Microsoft{Publishers: []fixtures.Publisher{pub}}
	for _, o := range fx.Microsoft.Offers {
		if o.PublisherID == model.ID {
			o.PublisherID = pub.ID
			out.Microsoft.Offers = append(out.Microsoft.Offers, o)
		}
	}
	if err := out.Microsoft.Validate(); err != nil {
		return world{}, badRequest("The session's publisher is not valid: %s.", err)
	}
	offer := out.Microsoft.Offers[0]
	flat, seats := plansOf(offer)
	webhook, landing := pub.WebhookURL, pub.LandingPageURL
	scope := entra.FulfillmentResource + "/.default"
	offers := make([]string, 0, len(out.Microsoft.Offers))
	for _, o := range out.Microsoft.Offers {
		offers = append(offers, o.OfferID)
	}
	return world{
		fixtures: out, tenant: pub.TenantID,
		credentials: map[string]any{
			"publisherId": pub.ID, "tenantId": pub.TenantID, "clientId": pub.ClientID, "clientSecret": pub.ClientSecret,
			"authority": base, "tokenUrl": base + "/" + pub.TenantID + "/oauth2/v2.0/token", "scope": scope,
			"resource": entra.FulfillmentResource, "offers": offers, "webhookUrl": webhook, "landingPageUrl": landing,
		},
		env: map[string]string{
			"MARKETPLACE_API_URL": base, "AZURE_AUTHORITY_HOST": base, "AZURE_TENANT_ID": pub.TenantID,
			"AZURE_CLIENT_ID": pub.ClientID, "AZURE_CLIENT_SECRET": pub.ClientSecret, "MARKETPLACE_SCOPE": scope,
			"MARKETPLACE_WEBHOOK_URL": webhook, "MARKETPLACE_LANDING_URL": landing, "MARKETPLACE_OFFER_ID": offer.OfferID,
			"MARKETPLACE_PLAN_ID": flat, "MARKETPLACE_SEAT_PLAN_ID": seats,
		},
	}, nil
}

// plansOf names the offer's first flat-rate plan and first per-seat plan
// ("" when it has none of a kind).
func plansOf(o fixtures.Offer) (flat, seats string) {
	for _, p := range o.Plans {
		switch {
		case p.IsPricePerSeat && seats == "":
			seats = p.PlanID
		case !p.IsPricePerSeat && flat == "" && len(p.PlanComponents.MeteringDimensions) == 0:
			flat = p.PlanID
		}
	}
	return flat, seats
}

// sessionKeys name the session a request addressed to the sandbox's root
// belongs to, from its credentials: the id in a session's GitLab client id
// or token prefix, or a session publisher's tenant.
func sessionKeys(r *http.Request) (id, tenant string) {
	if client := gitlab.RequestClientID(r); strings.HasPrefix(client, sessionClientPrefix) {
		return strings.TrimPrefix(client, sessionClientPrefix), ""
	}
	if token := gitlab.BearerToken(r); token != "" {
		return token[:sessionIDLength], ""
	}
	return "", microsoft.RequestTenant(r)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// randomGUID is a version 4 GUID, as Entra's tenant and app ids are.
func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
