package gitlab

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler for a bearer-protected route.
type authedFunc func(w http.ResponseWriter, r *http.Request, tok oauth.Token) error

// handle adapts a handlerFunc, rendering its error in the portal envelope.
func (p *Portal) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, p.log, err)
		}
	})
}

// authed protects h with a bearer token carrying one of scopes
// (docs/gitlab.md §3): no, unknown, expired or revoked token is 401
// invalid_token; a live token without the scope is 403 insufficient_scope.
func (p *Portal) authed(scopes []string, h authedFunc) http.Handler {
	return p.handle(func(w http.ResponseWriter, r *http.Request) error {
		tok, err := p.bearer(r)
		if err != nil {
			return err
		}
		journal.Identify(w, tok.Owner, tok.ClientID)
		for _, s := range scopes {
			if tok.HasScope(s) {
				return h(w, r, tok)
			}
		}
		desc := "The request requires higher privileges than provided by the access token."
		e := newError(CodeInsufficientScope, desc)
		e.Header = http.Header{"Www-Authenticate": {bearerChallenge(CodeInsufficientScope, desc, strings.Join(scopes, " "))}}
		return e
	})
}

// Doorkeeper's wording of invalid_token reasons.
var tokenErrorText = map[error]string{
	oauth.ErrTokenUnknown: "The access token is invalid",
	oauth.ErrTokenExpired: "The access token expired",
	oauth.ErrTokenRevoked: "The access token was revoked",
}

// bearer authenticates a protected request by its access token (see
// accessToken for where the token may come from in each profile).
func (p *Portal) bearer(r *http.Request) (oauth.Token, error) {
	value, given, err := p.accessToken(r)
	if err != nil {
		return oauth.Token{}, err
	}
	lookupErr := oauth.ErrTokenUnknown
	if given {
		tok, err := p.tokens.Lookup(value)
		if err == nil {
			return tok, nil
		}
		lookupErr = err
	}
	desc := tokenErrorText[lookupErr]
	e := newError(CodeInvalidToken, desc)
	challenge := bearerChallenge(CodeInvalidToken, desc, "")
	if !given && p.settings.TokenProfile == ProfileStrict {
		challenge = fmt.Sprintf("Bearer realm=%q", bearerRealm) // RFC 6750 §3.1: no error code when no token was sent
	}
	e.Header = http.Header{"Www-Authenticate": {challenge}}
	return oauth.Token{}, e
}

// scopesForStatus are the scopes that may read a status: either scope by
// default ([OURS]), or only the read scope.
func (p *Portal) scopesForStatus() []string {
	if p.settings.StatusScopes == "read" {
		return []string{fixtures.ScopeRead}
	}
	return []string{fixtures.ScopeRead, fixtures.ScopeCreate}
}

// readBody reads at most limit bytes; a longer body is a 413.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, newError(CodeBadRequest, "The request body could not be read.")
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	return body, nil
}

func errTooLarge(limit int64) error {
	return newError(CodePayloadTooLarge, "The request body is larger than the limit of "+formatBytes(limit)+".")
}

func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// notFound and methodNotAllowed answer unmatched requests in the portal's
// envelope, so a wrong path or verb is as informative as any other error.
func (p *Portal) notFound() http.Handler {
	return p.handle(func(http.ResponseWriter, *http.Request) error {
		return newError(CodeNotFound, "The requested resource does not exist.")
	})
}

// methodNotAllowed keeps the Allow header the sandbox has set.
func (p *Portal) methodNotAllowed() http.Handler {
	return p.handle(func(w http.ResponseWriter, r *http.Request) error {
		return newError(CodeMethodNotAllowed, "The method "+r.Method+" is not allowed on this resource.")
	})
}
