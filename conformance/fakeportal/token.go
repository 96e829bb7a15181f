package fakeportal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// issueToken follows the Doorkeeper check order: grant type, client, scope.
func (p *Portal) issueToken(w http.ResponseWriter, r *http.Request) {
	params, err := tokenParams(r)
	if err != nil {
		p.tokenError(w, http.StatusBadRequest, "invalid_request", "Bad body.")
		return
	}
	if id, secret, ok := r.BasicAuth(); ok {
		params.Set("client_id", id)
		params.Set("client_secret", secret)
	}
	switch params.Get("grant_type") {
	case "":
		p.tokenError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type.")
		return
	case "client_credentials":
	default:
		p.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported.")
		return
	}
	pt, ok := p.partner(params.Get("client_id"))
	if !ok || pt.ClientSecret != params.Get("client_secret") {
		p.tokenError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	scopes := strings.Fields(params.Get("scope"))
	for _, s := range scopes {
		if !contains(pt.Scopes, s) {
			scopes = nil
		}
	}
	if len(scopes) == 0 {
		status := http.StatusBadRequest
		if p.has(ScopeErrorIs401) {
			status = http.StatusUnauthorized
		}
		p.tokenError(w, status, "invalid_scope", "The requested scope is invalid.")
		return
	}
	p.grant(w, pt, scopes)
}

func (p *Portal) grant(w http.ResponseWriter, pt Partner, scopes []string) {
	n := 32
	if p.has(ShortToken) {
		n = 24
	}
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	tok := base64.RawURLEncoding.EncodeToString(raw)
	p.mu.Lock()
	now := p.now
	expires := now.Add(2 * time.Hour)
	if p.has(TokenNeverExpires) {
		expires = now.Add(100 * 365 * 24 * time.Hour)
	}
	p.tokens[tok] = token{partner: pt.ClientID, scopes: scopes, expires: expires}
	p.mu.Unlock()
	if !p.has(NoCacheControl) {
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 7200,
		"scope": strings.Join(scopes, " "), "created_at": now.Unix()})
}

func tokenParams(r *http.Request) (url.Values, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			v.Set(k, x)
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

func (p *Portal) tokenError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	if !p.has(NoWWWAuthenticate) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="Fake", error=%q, error_description=%q`, code, description))
	}
	p.fail(w, status, code, description, nil)
}

// authorize returns the partner of a valid token with the scope, or writes
// the 401 / 403 answer.
func (p *Portal) authorize(w http.ResponseWriter, r *http.Request, scope string) (string, bool) {
	p.mu.Lock()
	tok, ok := p.tokens[bearer(r)]
	expired := ok && !p.now.Before(tok.expires)
	p.mu.Unlock()
	if !ok || expired {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Fake", error="invalid_token", error_description="The access token is invalid"`)
		p.fail(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid.", nil)
		return "", false
	}
	if scope != "" && !contains(tok.scopes, scope) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Fake", error="insufficient_scope", error_description="Missing scope"`)
		p.fail(w, http.StatusForbidden, "insufficient_scope", "Missing scope.", nil)
		return "", false
	}
	return tok.partner, true
}
