package gitlab

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// Doorkeeper's wording of the token errors (its en.yml), which partners
// may match on.
const (
	descInvalidClient  = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
	descInvalidScope   = "The requested scope is invalid, unknown, or malformed."
	descUnsupported    = "The authorization grant type is not supported by the authorization server."
	descMissingGrant   = "Missing required parameter: grant_type."
	descUnparsableBody = "The request body could not be parsed."
	descBothCredential = "Client credentials were sent both in the Authorization header and in the body."
	basicRealm         = "GitLab Customers Portal"
	bearerRealm        = "Doorkeeper"
)

// tokenResponse is the success body (Doorkeeper's, with no refresh token
// for the client-credentials grant).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

// tokenRequest is what the endpoint read from the request.
type tokenRequest struct {
	params    url.Values
	basic     bool
	basicID   string
	basicPass string
}

// createToken is POST /oauth/token (reference §2).
func (p *Portal) createToken(w http.ResponseWriter, r *http.Request) error {
	strict := p.settings.TokenProfile == ProfileStrict
	w.Header().Set("Cache-Control", "no-store")
	if strict {
		w.Header().Set("Pragma", "no-cache")
	}
	req, err := p.readTokenRequest(r, strict)
	if err != nil {
		return p.tokenError(err, false)
	}
	client, err := p.authenticateClient(req, strict)
	if err != nil {
		return p.tokenError(err, req.basic)
	}
	journal.Identify(w, client.Owner, client.ID)
	scopes, err := grantedScopes(req.params.Get("scope"), client)
	if err != nil {
		return p.tokenError(err, req.basic)
	}
	tok := p.tokens.Issue(client, scopes)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.Value,
		TokenType:   "Bearer",
		ExpiresIn:   int64(p.tokens.Lifetime().Seconds()),
		Scope:       strings.Join(tok.Scopes, " "),
		CreatedAt:   tok.IssuedAt.Unix(),
	})
	return nil
}

// readTokenRequest collects the parameters: a form or JSON body, plus the
// query string in the Doorkeeper profile (Rails merges both into params).
// The strict profile reads only a form body, as RFC 6749 §4.4.2 asks.
func (p *Portal) readTokenRequest(r *http.Request, strict bool) (tokenRequest, error) {
	req := tokenRequest{params: url.Values{}}
	if !strict {
		for k, v := range r.URL.Query() {
			req.params[k] = v
		}
	}
	body, err := readBody(r, p.settings.MaxBodyBytes)
	if err != nil {
		return req, err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "application/json" && strict:
		return req, newError(CodeInvalidRequest, "The strict profile accepts only application/x-www-form-urlencoded token requests.")
	case mediaType == "application/json" && len(body) > 0:
		if err := mergeJSONParams(req.params, body); err != nil {
			return req, err
		}
	case mediaType == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, newError(CodeInvalidRequest, descUnparsableBody)
		}
		for k, v := range form {
			req.params[k] = v
		}
	}
	req.basicID, req.basicPass, req.basic, err = basicCredentials(r)
	return req, err
}

func mergeJSONParams(params url.Values, body []byte) error {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return newError(CodeInvalidRequest, descUnparsableBody)
	}
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return newError(CodeInvalidRequest, fmt.Sprintf("Parameter %s must be a string.", k))
		}
		params.Set(k, s)
	}
	return nil
}

// basicCredentials reads HTTP Basic client credentials. Per RFC 6749
// §2.3.1 the id and secret are form-encoded before base64; a header that
// says Basic but cannot be decoded is a failed client authentication.
func basicCredentials(r *http.Request) (id, secret string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "basic") {
		return "", "", false, nil
	}
	raw, decodeErr := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	pair := string(raw)
	id, secret, found := strings.Cut(pair, ":")
	if decodeErr != nil || !found {
		return "", "", true, errInvalidClient
	}
	if u, e := url.QueryUnescape(id); e == nil {
		id = u
	}
	if s, e := url.QueryUnescape(secret); e == nil {
		secret = s
	}
	return id, secret, true, nil
}

var errInvalidClient = newError(CodeInvalidClient, descInvalidClient)

// authenticateClient applies Doorkeeper's check order: grant type first,
// then the client, so a bad secret with a bad scope is a 401.
func (p *Portal) authenticateClient(req tokenRequest, strict bool) (oauth.Client, error) {
	switch grant := req.params.Get("grant_type"); {
	case grant == "":
		return oauth.Client{}, newError(CodeInvalidRequest, descMissingGrant)
	case grant != "client_credentials":
		return oauth.Client{}, newError(CodeUnsupportedGrantType, descUnsupported)
	}
	id, secret := req.params.Get("client_id"), req.params.Get("client_secret")
	if req.basic {
		if strict && (id != "" || secret != "") {
			return oauth.Client{}, newError(CodeInvalidRequest, descBothCredential)
		}
		id, secret = req.basicID, req.basicPass
	}
	if id == "" {
		return oauth.Client{}, errInvalidClient
	}
	client, err := p.clients.Authenticate(id, secret)
	if err != nil {
		return oauth.Client{}, errInvalidClient
	}
	return client, nil
}

// grantedScopes checks the requested scopes: at least one, each known to
// the portal and granted to this client.
func grantedScopes(param string, client oauth.Client) ([]string, error) {
	scopes := oauth.ParseScopes(param)
	if len(scopes) == 0 {
		return nil, newError(CodeInvalidScope, descInvalidScope)
	}
	for _, s := range scopes {
		known := s == fixtures.ScopeRead || s == fixtures.ScopeCreate
		if !known || !slices.Contains(client.Scopes, s) {
			return nil, newError(CodeInvalidScope, descInvalidScope)
		}
	}
	return scopes, nil
}

// tokenError adds the headers the active profile puts on token errors:
// Doorkeeper sends a Bearer challenge on every one; the strict profile
// sends a Basic challenge when a Basic-authenticated client failed.
func (p *Portal) tokenError(err error, usedBasic bool) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Header = http.Header{}
	if p.settings.TokenProfile == ProfileStrict {
		if e.Code == CodeInvalidClient && usedBasic {
			out.Header.Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", basicRealm))
		}
		return &out
	}
	out.Header.Set("WWW-Authenticate", bearerChallenge(e.Code, e.Description, ""))
	return &out
}

// bearerChallenge renders an RFC 6750 §3 WWW-Authenticate value.
func bearerChallenge(code Code, description, scope string) string {
	v := fmt.Sprintf(`Bearer realm=%q, error=%q, error_description=%q`, bearerRealm, string(code), description)
	if scope != "" {
		v += fmt.Sprintf(`, scope=%q`, scope)
	}
	return v
}
