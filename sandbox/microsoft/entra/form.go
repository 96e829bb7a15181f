package entra

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// form is a token request's parameters. Entra reads them from an
// application/x-www-form-urlencoded body only ("The request body must
// contain the following parameter"): parameters in the query string are
// not seen, and a body of another type carries none. The sandbox also
// reads a body without Content-Type as a form.
type form map[string]string

// readForm reads and decodes r's body, at most entra.max_body_bytes. A
// parameter given twice, or a bad %-escape, is refused (AADSTS90100):
// OAuth forbids repeated parameters (RFC 6749 §3.2) and silently keeping
// one would hide a client bug. An empty value counts as absent.
func readForm(r *http.Request, limit int64) (form, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, newError(CodeInvalidParameter, "The request body could not be read.")
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	f := form{}
	if !isFormType(r.Header.Get("Content-Type")) {
		return f, nil
	}
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(string(body), "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, newError(CodeInvalidParameter, "The request body is not valid application/x-www-form-urlencoded content: a %%-escape is malformed.")
		}
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, newError(CodeInvalidParameter, "The parameter '%s' is given more than once. Each parameter may appear only once.", name)
		}
		seen[name] = true
		if value != "" {
			f[name] = value
		}
	}
	return f, nil
}

func errTooLarge(limit int64) error {
	return newError(CodeBodyTooLarge, "The request body is larger than the limit of %d bytes.", limit)
}

// isFormType reports whether a Content-Type announces a form body (or
// announces nothing).
func isFormType(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// credentials are the client id and secret a token request presented.
type credentials struct {
	id, secret string
}

// readCredentials takes client_id / client_secret from the form and from
// an Authorization: Basic header (client_secret_basic, which Entra's
// discovery documents list; scheme in any case, id and secret
// form-encoded as RFC 6749 §2.3.1 says). Both may be given only if they
// agree: credentials that contradict each other are refused (AADSTS90100)
// rather than one silently winning.
func readCredentials(r *http.Request, f form) (credentials, error) {
	c := credentials{id: f["client_id"], secret: f["client_secret"]}
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "basic") {
		return c, nil
	}
	b, ok := decodeBasic(rest)
	if !ok {
		return c, newError(CodeInvalidParameter, "The Authorization header does not hold valid Basic client credentials (base64 of client_id:client_secret).")
	}
	if c.id != "" && !strings.EqualFold(c.id, b.id) {
		return c, newError(CodeInvalidParameter, "The client_id in the request body ('%s') differs from the one in the Authorization header ('%s').", c.id, b.id)
	}
	if c.secret != "" && c.secret != b.secret {
		return c, newError(CodeInvalidParameter, "The request carries two different client secrets, in the body and in the Authorization header.")
	}
	return b, nil
}

// decodeBasic decodes RFC 7617 credentials whose parts are form-encoded.
func decodeBasic(encoded string) (credentials, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return credentials{}, false
	}
	id, secret, found := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if !found || err1 != nil || err2 != nil || id == "" {
		return credentials{}, false
	}
	return credentials{id: id, secret: secret}, true
}

// Identify names the publisher and client of a request before its handler
// runs, cheaply and without verifying anything, for fault rules and the
// journal: a bearer token's tid and appid / azp (signature not checked),
// a Basic header's client id, or the client_id of a token request's form
// body (read and put back, so the handler still sees it). "" when unknown.
func (i *Issuer) Identify(r *http.Request) (publisherID, clientID string) {
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "bearer"):
		clientID = unverifiedClient(strings.TrimSpace(rest))
	case strings.EqualFold(scheme, "basic"):
		if b, ok := decodeBasic(rest); ok {
			clientID = b.id
		}
	case r.Method == http.MethodPost && IsTokenPath(r.URL.Path):
		clientID = i.peekClientID(r)
	}
	if clientID == "" {
		return "", ""
	}
	if app, ok := i.apps.app(clientID); ok {
		return app.PublisherID, app.ClientID
	}
	return "", clientID
}

// unverifiedClient reads appid or azp from a JWT without checking it.
func unverifiedClient(token string) string {
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return ""
	}
	var c tokenClaims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		return ""
	}
	return c.client()
}

// peekClientID reads client_id from a form body and restores the body.
func (i *Issuer) peekClientID(r *http.Request) string {
	if r.Body == nil || r.Body == http.NoBody || !isFormType(r.Header.Get("Content-Type")) {
		return ""
	}
	peeked, _ := io.ReadAll(io.LimitReader(r.Body, i.settings.MaxBodyBytes+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peeked), r.Body), r.Body}
	values, _ := url.ParseQuery(string(peeked))
	return values.Get("client_id")
}
