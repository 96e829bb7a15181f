package entra

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Versions of tokens and endpoints.
const (
	version1 = "1.0"
	version2 = "2.0"
)

// claims are an app-only access token's claims, as Entra writes them
// (access-token claims reference of Microsoft's identity-platform docs):
// v1 tokens name the client in appid / appidacr and carry idp, v2 tokens in
// azp / azpacr; both have oid = sub (the service principal), tid,
// idtyp "app", uti (Entra's unique token id) and ver. jti is added for
// verifiers that look for the standard unique id.
type claims struct {
	Aud      string `json:"aud"`
	Iss      string `json:"iss"`
	Iat      int64  `json:"iat"`
	Nbf      int64  `json:"nbf"`
	Exp      int64  `json:"exp"`
	AppID    string `json:"appid,omitempty"`
	AppIDAcr string `json:"appidacr,omitempty"`
	Azp      string `json:"azp,omitempty"`
	AzpAcr   string `json:"azpacr,omitempty"`
	IdP      string `json:"idp,omitempty"`
	IdTyp    string `json:"idtyp"`
	Oid      string `json:"oid"`
	Sub      string `json:"sub"`
	Tid      string `json:"tid"`
	Uti      string `json:"uti"`
	Jti      string `json:"jti"`
	Ver      string `json:"ver"`
}

// backdate is how far before now Entra sets iat and nbf (five minutes,
// seen in every token it issues: exp - iat is the lifetime plus 5 min), so
// a resource whose clock is a little behind still accepts a fresh token.
const backdate = 5 * time.Minute

// grant is what a successful token request was for.
type grant struct {
	app     App
	version string
	base    string
}

// issued is a signed token and its timing.
type issued struct {
	token     string
	notBefore time.Time
	expiresAt time.Time
	lifetime  time.Duration
}

// issue signs an access token for g. aud is the fulfillment API's app id
// on both versions: Entra's v1 tokens carry the resource as requested,
// and the only resource accepted here is that id (its canonical
// lower-case form); v2 tokens always carry the resource's app id. iss
// follows the endpoint (see issuerV1).
func (i *Issuer) issue(g grant) (issued, error) {
	now := i.accessNow().Truncate(time.Second)
	life := i.settings.TokenLifetime
	c := claims{
		Iat: now.Add(-backdate).Unix(), Nbf: now.Add(-backdate).Unix(), Exp: now.Add(life).Unix(),
		IdTyp: "app", Tid: g.app.TenantID, Ver: g.version,
		Oid: objectID(g.app.TenantID, g.app.ClientID),
	}
	c.Sub = c.Oid
	if g.version == version1 {
		c.Aud, c.Iss = FulfillmentResource, issuerV1(g.base, g.app.TenantID)
		c.AppID, c.AppIDAcr, c.IdP = g.app.ClientID, "1", c.Iss
	} else {
		c.Aud, c.Iss = FulfillmentResource, issuerV2(g.base, g.app.TenantID)
		c.Azp, c.AzpAcr = g.app.ClientID, "1"
	}
	tok, err := i.sign(&c)
	if err != nil {
		return issued{}, err
	}
	return issued{token: tok, notBefore: now.Add(-backdate), expiresAt: now.Add(life), lifetime: life}, nil
}

// sign gives c fresh unique ids and signs it.
func (i *Issuer) sign(c *claims) (string, error) {
	c.Uti, c.Jti = newUTI(), newGUID()
	tok, err := jwt.Signed(i.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("entra: signing a token: %w", err)
	}
	i.issued.add(tok)
	return tok, nil
}

// newUTI is a token id in the shape of Entra's uti: 16 random bytes,
// base64url without padding.
func newUTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SignWebhook makes the JWT of one webhook delivery to a publisher: what
// Microsoft puts in its Authorization header (docs/microsoft.md §6): aud
// the publisher's app id, tid the publisher's tenant, appid and azp the
// fulfillment API's app id, iss the v2 issuer of the publisher's tenant
// on the base URL given by WithBaseURL, so the publisher verifies it
// against that tenant's discovery document. appidacr / azpacr are "2"
// (Entra's value for a client that authenticated with a certificate, as
// Microsoft's own services do). It lives entra.webhook_token_lifetime on
// the clock entra.webhook_token_clock names (the wall clock by default).
func (i *Issuer) SignWebhook(tenantID, audience string) (string, error) {
	tenantID, audience = normalizeID(tenantID), normalizeID(audience)
	if tenantID == "" || audience == "" {
		return "", fmt.Errorf("entra: a webhook JWT needs a tenant and an audience")
	}
	now := i.webhookNow().Truncate(time.Second)
	c := claims{
		Aud: audience, Iss: issuerV2(i.baseURL, tenantID),
		Iat: now.Add(-backdate).Unix(), Nbf: now.Add(-backdate).Unix(),
		Exp:   now.Add(i.settings.WebhookTokenLifetime).Unix(),
		AppID: FulfillmentResource, AppIDAcr: "2", Azp: FulfillmentResource, AzpAcr: "2",
		IdTyp: "app", Tid: tenantID, Ver: version2,
		Oid: objectID(tenantID, FulfillmentResource),
	}
	c.Sub = c.Oid
	return i.sign(&c)
}
