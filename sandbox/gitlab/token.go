package gitlab

import (
	"errors"
	"fmt"
	"net/http"
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

// createToken is POST /oauth/token (docs/gitlab.md §2).
func (p *Portal) createToken(w http.ResponseWriter, r *http.Request) error {
	strict := p.settings.TokenProfile == ProfileStrict
	w.Header().Set("Cache-Control", "no-store")
	if strict {
		w.Header().Set("Pragma", "no-cache")
	}
	ps, err := p.readParams(r)
	if err != nil {
		return p.tokenError(err, false)
	}
	if err := checkGrant(ps); err != nil {
		return p.tokenError(err, false)
	}
	creds, err := p.readClientCredentials(r, ps)
	if err != nil {
		return p.tokenError(err, creds.basic)
	}
	client, err := p.authenticate(creds)
	if err != nil {
		return p.tokenError(err, creds.basic)
	}
	journal.Identify(w, client.Owner, client.ID)
	scope, err := ps.get("scope")
	if err != nil {
		return p.tokenError(err, creds.basic)
	}
	scopes, err := p.grantedScopes(scope, client)
	if err != nil {
		return p.tokenError(err, creds.basic)
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

// checkGrant applies Doorkeeper's first check (Server#token_request): a
// missing grant_type, then one it does not serve, before the client is
// looked at, so a bad secret with a bad grant is a 400.
func checkGrant(ps params) error {
	grant, err := ps.get("grant_type")
	switch {
	case err != nil:
		return newError(CodeUnsupportedGrantType, descUnsupported)
	case grant == "":
		return newError(CodeInvalidRequest, descMissingGrant)
	case grant != "client_credentials":
		return newError(CodeUnsupportedGrantType, descUnsupported)
	}
	return nil
}

var errInvalidClient = newError(CodeInvalidClient, descInvalidClient)

// grantedScopes checks the requested scopes: at least one, each known to
// the portal and granted to this client. The Doorkeeper profile splits
// them as Ruby's String#split does (any run of ASCII whitespace, tabs
// included, before, between or after them; Doorkeeper's ScopeChecker
// refuses tabs and newlines only in the string it re-joins with spaces,
// so for this grant they separate like spaces); the strict profile wants
// RFC 6749 §3.3's single spaces.
func (p *Portal) grantedScopes(param string, client oauth.Client) ([]string, error) {
	scopes := oauth.ParseScopes(param)
	if p.settings.TokenProfile == ProfileStrict {
		var ok bool
		if scopes, ok = oauth.ParseScopesStrict(param); !ok {
			return nil, newError(CodeInvalidScope, descInvalidScope)
		}
	}
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
