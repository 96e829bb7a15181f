package publisher

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FulfillmentAppID is the app id of Microsoft's SaaS Fulfillment API: the
// appid / azp of the JWT on every webhook Microsoft sends
// (docs/microsoft.md §6).
const FulfillmentAppID = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"

// clockSkew is the leeway on exp and nbf, as Entra's own libraries allow.
const clockSkew = 5 * time.Minute

// Why a webhook is refused: errUnauthenticated when its token is missing
// or not Microsoft's (401), errForbidden when it is Microsoft's but not
// meant for this app (403).
var (
	errUnauthenticated = errors.New("unauthenticated")
	errForbidden       = errors.New("forbidden")
)

// verifier checks a webhook's bearer JWT with the standard library:
// RS256 against the keys of the tenant's OpenID discovery document, the
// issuer that document names, aud this app's client id, tid its tenant,
// appid / azp the fulfillment API, in date.
type verifier struct {
	discoveryURL     string
	tenant, audience string
	http             *http.Client

	// mu guards issuer and keys, fetched on first use and again when a
	// token names a key not seen (Entra rolls its keys).
	mu     sync.Mutex
	issuer string
	keys   map[string]*rsa.PublicKey
}

func newVerifier(env Env, hc *http.Client) *verifier {
	return &verifier{
		discoveryURL: env.AuthorityHost + "/" + env.TenantID + "/v2.0/.well-known/openid-configuration",
		tenant:       env.TenantID, audience: env.ClientID, http: hc,
	}
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Aud   audience `json:"aud"`
	Iss   string   `json:"iss"`
	Tid   string   `json:"tid"`
	AppID string   `json:"appid"`
	Azp   string   `json:"azp"`
	Exp   int64    `json:"exp"`
	Nbf   int64    `json:"nbf"`
}

// caller is the app that got the token: appid in a v1 token, azp in a
// v2 one.
func (c jwtClaims) caller() string {
	if c.AppID != "" {
		return c.AppID
	}
	return c.Azp
}

// audience is a JWT aud: one string or a list (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// verify checks the Authorization header of a webhook.
func (v *verifier) verify(ctx context.Context, authorization string) error {
	scheme, token, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fmt.Errorf("%w: no bearer token", errUnauthenticated)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: not a JWS", errUnauthenticated)
	}
	var h jwtHeader
	var c jwtClaims
	if err := decodePart(parts[0], &h); err != nil {
		return fmt.Errorf("%w: header: %v", errUnauthenticated, err)
	}
	if h.Alg != "RS256" {
		return fmt.Errorf("%w: alg %q", errUnauthenticated, h.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("%w: signature: %v", errUnauthenticated, err)
	}
	key, issuer, err := v.key(ctx, h.Kid)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("%w: signature does not verify", errUnauthenticated)
	}
	if err := decodePart(parts[1], &c); err != nil {
		return fmt.Errorf("%w: claims: %v", errUnauthenticated, err)
	}
	return v.checkClaims(c, issuer, time.Now())
}

func (v *verifier) checkClaims(c jwtClaims, issuer string, now time.Time) error {
	switch {
	case c.Exp == 0 || now.After(time.Unix(c.Exp, 0).Add(clockSkew)):
		return fmt.Errorf("%w: expired", errUnauthenticated)
	case c.Nbf != 0 && now.Add(clockSkew).Before(time.Unix(c.Nbf, 0)):
		return fmt.Errorf("%w: not yet valid", errUnauthenticated)
	case c.Iss != issuer:
		return fmt.Errorf("%w: iss %q, want %q", errForbidden, c.Iss, issuer)
	case !strings.EqualFold(c.Tid, v.tenant):
		return fmt.Errorf("%w: tid %q, want %s", errForbidden, c.Tid, v.tenant)
	case !hasAudience(c.Aud, v.audience):
		return fmt.Errorf("%w: aud %v, want %s", errForbidden, []string(c.Aud), v.audience)
	case !strings.EqualFold(c.caller(), FulfillmentAppID):
		return fmt.Errorf("%w: appid %q / azp %q is not the fulfillment API", errForbidden, c.AppID, c.Azp)
	}
	return nil
}

func hasAudience(aud audience, want string) bool {
	for _, a := range aud {
		if strings.EqualFold(a, want) {
			return true
		}
	}
	return false
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// key is the public key kid and the tenant's issuer, fetching the
// discovery document and key set when kid is not known yet.
func (v *verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, v.issuer, nil
	}
	if err := v.refresh(ctx); err != nil {
		return nil, "", fmt.Errorf("fetching the signing keys: %w", err)
	}
	k, ok := v.keys[kid]
	if !ok {
		return nil, "", fmt.Errorf("%w: unknown key %q", errUnauthenticated, kid)
	}
	return k, v.issuer, nil
}

func (v *verifier) refresh(ctx context.Context) error {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.discoveryURL, &doc); err != nil {
		return err
	}
	var set struct {
		Keys []struct {
			Kty, Kid, N, E string
		} `json:"keys"`
	}
	if err := v.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || errN != nil || errE != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	v.issuer, v.keys = doc.Issuer, keys
	return nil
}

func (v *verifier) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
