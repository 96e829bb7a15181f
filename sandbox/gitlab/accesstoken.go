package gitlab

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"
)

// accessToken finds the access token a protected request presents, in the
// active profile. given is false when it presents none.
//
// Doorkeeper (access_token_methods, default from_bearer_authorization,
// from_access_token_param, from_bearer_param; lib/doorkeeper/config.rb and
// lib/doorkeeper/oauth/token.rb) takes the first that is not blank: an
// Authorization header matching /^Bearer /i, the rest of it verbatim (so
// a second space becomes part of the token), then the access_token
// parameter, then bearer_token, both from Rails' merged params (query
// string over a form or JSON body, on any method).
//
// The strict profile follows RFC 6750 §2: the header ("Bearer" in any
// casing, one or more spaces, a b64token), a form-encoded body parameter
// on a method other than GET (§2.2), or the access_token query parameter
// (§2.3); a request using more than one of them is invalid_request, and
// so is a malformed Bearer header.
func (p *Portal) accessToken(r *http.Request) (value string, given bool, err error) {
	if p.settings.TokenProfile == ProfileStrict {
		return p.strictAccessToken(r)
	}
	if tok, ok := bearerHeader(r, false); ok {
		return tok, true, nil
	}
	ps, _ := railsParams(r, peekBody(r, p.settings.MaxBodyBytes)) // a body Rails could not parse names no token
	value, given = paramToken(ps)
	return value, given, nil
}

// bearerHeader is the token of an Authorization: Bearer header: in
// Doorkeeper's reading the rest after /^Bearer /i, verbatim; strictly, the
// rest after the spaces (strictAccessToken checks its form).
func bearerHeader(r *http.Request, strict bool) (string, bool) {
	h := r.Header.Get("Authorization")
	if strict {
		scheme, rest, _ := strings.Cut(h, " ")
		tok := strings.TrimLeft(rest, " ")
		return tok, strings.EqualFold(scheme, "bearer") && tok != ""
	}
	if len(h) >= 7 && strings.EqualFold(h[:7], "bearer ") && strings.TrimSpace(h[7:]) != "" {
		return h[7:], true
	}
	return "", false
}

// paramToken is Doorkeeper's from_access_token_param, then
// from_bearer_param: the first that is not blank. A list or hash is
// "given" and matches no token.
func paramToken(ps params) (string, bool) {
	for _, name := range []string{"access_token", "bearer_token"} {
		if !ps.has(name) {
			continue
		}
		v, err := ps.get(name)
		if err == nil && strings.TrimSpace(v) == "" {
			continue
		}
		return v, true
	}
	return "", false
}

func (p *Portal) strictAccessToken(r *http.Request) (string, bool, error) {
	var found []string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "bearer") {
			tok := strings.TrimLeft(rest, " ")
			if !isB64Token(tok) {
				return "", false, newError(CodeInvalidRequest, "The Authorization header is not Bearer followed by a b64token (RFC 6750 §2.1).")
			}
			found = append(found, tok)
		}
	}
	if q := r.URL.Query(); q.Has("access_token") {
		found = append(found, q.Get("access_token"))
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodGet && mediaType == "application/x-www-form-urlencoded" {
		ps := newParams()
		if err := ps.addRackPairs(string(peekBody(r, p.settings.MaxBodyBytes)), false); err == nil && ps.has("access_token") {
			v, _ := ps.get("access_token")
			found = append(found, v)
		}
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
		return found[0], true, nil
	}
	return "", false, newError(CodeInvalidRequest, "The request uses more than one method to send its access token (RFC 6750 §2).")
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// peekBody reads at most limit bytes of r's body and puts them back in
// front of the rest, for the handler that reads it after.
func peekBody(r *http.Request, limit int64) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	peeked, _ := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peeked), r.Body), r.Body}
	return peeked
}
