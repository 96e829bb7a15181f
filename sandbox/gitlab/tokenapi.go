package gitlab

import (
	"errors"
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// Doorkeeper's wording (config/locales/en.yml) for the endpoints below.
const (
	descRevokeUnauthorized = "You are not authorized to revoke this token"
	descNotAuthorized      = "Request need to be authorized. Required parameter for authorizing request is missing or invalid."
	descMissingToken       = "Missing required parameter: token."
)

// revokeToken is POST /oauth/revoke (RFC 7009). Doorkeeper 5.6
// (TokensController#revoke and #authorized?) first wants an authenticated
// client, else 403 unauthorized_client; then a token it does not know
// (or no token parameter) is a 200 {}, a token of another client is the
// same 403, and the client's own token is revoked, 200 {} (an expired or
// revoked one stays as it is). Doorkeeper ignores token_type_hint. The
// strict profile answers a failed client authentication 401
// invalid_client (RFC 7009 §2.2.1 → RFC 6749 §5.2), a missing token 400
// invalid_request, another client's token 400 unauthorized_client
// (§2.1: "the request is refused"), and an unknown one 200 (§2.2).
func (p *Portal) revokeToken(w http.ResponseWriter, r *http.Request) error {
	strict := p.settings.TokenProfile == ProfileStrict
	w.Header().Set("Cache-Control", "no-store")
	ps, err := p.readParams(r)
	if err != nil {
		return p.tokenError(err, false)
	}
	creds, err := p.readClientCredentials(r, ps)
	if err == nil {
		var client oauth.Client
		if client, err = p.authenticate(creds); err == nil {
			journal.Identify(w, client.Owner, client.ID)
			err = p.revokeFor(client, ps, strict)
		}
	}
	var e *Error
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	case !strict && errors.Is(err, errInvalidClient):
		return revokeRefused()
	case errors.As(err, &e) && e.Code == CodeUnauthorizedClient:
		return err // Doorkeeper renders it without a challenge
	}
	return p.tokenError(err, creds.basic)
}

// revokeFor revokes the token named by ps if client may.
func (p *Portal) revokeFor(client oauth.Client, ps params, strict bool) error {
	value, err := ps.get("token")
	if err != nil {
		return err
	}
	if value == "" && strict {
		return newError(CodeInvalidRequest, descMissingToken)
	}
	tok, known := p.tokens.Holder(value)
	switch {
	case !known:
		return nil
	case tok.ClientID != client.ID && strict:
		e := newError(CodeUnauthorizedClient, "The token was not issued to this client.")
		e.Status = http.StatusBadRequest
		return e
	case tok.ClientID != client.ID:
		return revokeRefused()
	}
	p.tokens.Revoke(value)
	return nil
}

func revokeRefused() error {
	e := newError(CodeUnauthorizedClient, descRevokeUnauthorized)
	e.Status = http.StatusForbidden
	return e
}

// introspection is an RFC 7662 §2.2 answer; an inactive token shows
// nothing but active (Doorkeeper's failure_response).
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
}

// introspectToken is POST /oauth/introspect (RFC 7662), as Doorkeeper 5.6
// does it (OAuth::TokenIntrospection#authorize! and #active?, with the
// default allow_token_introspection of config.rb): client credentials, if
// any were sent, must authenticate (401 invalid_client) and may see only
// their own tokens (another client's is active: false); without them a
// live bearer token (access_token_methods) may introspect another token of
// its own client, but not itself, not another client's and not an unknown
// one (all 401 invalid_token); with neither, 400 invalid_request. The
// strict profile wants client credentials or a bearer header (401
// otherwise), the token parameter (400), and answers active: false for
// any token the caller may not see.
func (p *Portal) introspectToken(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	ps, err := p.readParams(r)
	if err != nil {
		return p.tokenError(err, false)
	}
	creds, err := p.readClientCredentials(r, ps)
	if err != nil {
		return p.tokenError(err, creds.basic)
	}
	value, err := ps.get("token")
	if err != nil {
		return p.tokenError(err, creds.basic)
	}
	if value == "" && p.settings.TokenProfile == ProfileStrict {
		return p.tokenError(newError(CodeInvalidRequest, descMissingToken), creds.basic)
	}
	caller, err := p.introspectionCaller(r, ps, creds, value)
	if err != nil {
		return err
	}
	journal.Identify(w, caller.Owner, caller.ID)
	writeJSON(w, http.StatusOK, p.introspect(value, caller.ID))
	return nil
}

// introspectionCaller is the client an introspection request acts for.
func (p *Portal) introspectionCaller(r *http.Request, ps params, creds clientCredentials, target string) (oauth.Client, error) {
	strict := p.settings.TokenProfile == ProfileStrict
	if creds.present() {
		client, err := p.authenticate(creds)
		return client, p.tokenError(err, creds.basic)
	}
	value, given := bearerHeader(r, strict)
	if !given && !strict {
		value, given = paramToken(ps)
	}
	switch {
	case !given && strict:
		return oauth.Client{}, p.tokenError(errInvalidClient, false)
	case !given:
		return oauth.Client{}, p.tokenError(newError(CodeInvalidRequest, descNotAuthorized), false)
	}
	bearerTok, err := p.tokens.Lookup(value)
	if errors.Is(err, oauth.ErrTokenUnknown) && !strict {
		return oauth.Client{}, p.tokenError(newError(CodeInvalidRequest, descNotAuthorized), false)
	}
	if err != nil {
		return oauth.Client{}, invalidToken(tokenErrorText[err])
	}
	client, _ := p.clients.Client(bearerTok.ClientID)
	if strict {
		return client, nil
	}
	introspected, known := p.tokens.Holder(target)
	if !known || introspected.Value == bearerTok.Value || introspected.ClientID != bearerTok.ClientID {
		return oauth.Client{}, invalidToken(tokenErrorText[oauth.ErrTokenUnknown])
	}
	return client, nil
}

// introspect describes value to clientID: active only when it is live
// and was issued to that client.
func (p *Portal) introspect(value, clientID string) introspection {
	tok, err := p.tokens.Lookup(value)
	if err != nil || tok.ClientID != clientID {
		return introspection{}
	}
	return introspection{Active: true, Scope: strings.Join(tok.Scopes, " "), ClientID: tok.ClientID,
		TokenType: "Bearer", Exp: tok.ExpiresAt.Unix(), Iat: tok.IssuedAt.Unix()}
}

func invalidToken(desc string) error {
	e := newError(CodeInvalidToken, desc)
	e.Header = http.Header{"Www-Authenticate": {bearerChallenge(CodeInvalidToken, desc, "")}}
	return e
}

// tokenInfo is Doorkeeper's access token as JSON (AccessTokenMixin#as_json).
type tokenInfo struct {
	ResourceOwnerID *string  `json:"resource_owner_id"`
	Scope           []string `json:"scope"`
	ExpiresIn       int64    `json:"expires_in"`
	Application     struct {
		UID string `json:"uid"`
	} `json:"application"`
	CreatedAt int64 `json:"created_at"`
}

// showTokenInfo is GET /oauth/token/info, Doorkeeper's TokenInfoController:
// the token found by access_token_methods, if it is live, as
// {resource_owner_id (null for client credentials), scope (a list),
// expires_in (seconds left), application.uid, created_at}; otherwise 401
// invalid_token, always worded "The access token is invalid" (the
// controller builds InvalidTokenResponse without the token, so an expired
// or revoked one is not told apart). No RFC defines it: the strict profile
// answers 404.
func (p *Portal) showTokenInfo(w http.ResponseWriter, r *http.Request) error {
	if p.settings.TokenProfile == ProfileStrict {
		return newError(CodeNotFound, "The strict profile serves only the RFC endpoints (/oauth/token, /oauth/revoke, /oauth/introspect); token info is Doorkeeper's.")
	}
	w.Header().Set("Cache-Control", "no-store")
	value, given, _ := p.accessToken(r)
	tok, err := p.tokens.Lookup(value)
	if !given || err != nil {
		if known, ok := p.tokens.Holder(value); ok {
			journal.Identify(w, known.Owner, known.ClientID)
		}
		return invalidToken(tokenErrorText[oauth.ErrTokenUnknown])
	}
	journal.Identify(w, tok.Owner, tok.ClientID)
	info := tokenInfo{Scope: tok.Scopes, ExpiresIn: int64(tok.ExpiresAt.Sub(p.tokens.Now()).Round(1e9).Seconds()), CreatedAt: tok.IssuedAt.Unix()}
	info.Application.UID = tok.ClientID
	writeJSON(w, http.StatusOK, info)
	return nil
}
