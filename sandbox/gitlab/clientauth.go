package gitlab

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// clientCredentials are the client id and secret a request presented.
type clientCredentials struct {
	id, secret string
	// basic says they came in an Authorization: Basic header.
	basic bool
}

// present reports whether credentials were given at all: Doorkeeper's
// Credentials delegate blank? to the uid, so an id without a secret is
// present (and fails to authenticate).
func (c clientCredentials) present() bool { return strings.TrimSpace(c.id) != "" }

// readClientCredentials finds the client credentials of r in the active
// profile. Doorkeeper (client_credentials_methods, default from_basic then
// from_params; lib/doorkeeper/oauth/client/credentials.rb) takes an
// Authorization header matching /^Basic (.*)/ (case-sensitive, one
// space), decodes it leniently with Ruby's Base64.decode64 and splits at
// the first ':' without URL-decoding, and falls back to the client_id and
// client_secret parameters when that gives no id. The strict profile
// follows RFC 6749 §2.3.1: any casing of the scheme, strict base64, id and
// secret form-decoded, a bad header is invalid_client, and Basic together
// with body credentials is invalid_request.
func (p *Portal) readClientCredentials(r *http.Request, ps params) (clientCredentials, error) {
	id, err := ps.get("client_id")
	if err != nil {
		return clientCredentials{}, err
	}
	secret, err := ps.get("client_secret")
	if err != nil {
		return clientCredentials{}, err
	}
	body := clientCredentials{id: id, secret: secret}
	h := r.Header.Get("Authorization")
	if p.settings.TokenProfile != ProfileStrict {
		if rest, ok := strings.CutPrefix(h, "Basic "); ok {
			if c := lenientBasic(rest); c.present() {
				return c, nil
			}
		}
		return body, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "basic") {
		return body, nil
	}
	c, ok := strictBasic(rest)
	if !ok {
		return clientCredentials{basic: true}, errInvalidClient
	}
	if id != "" || secret != "" {
		return c, newError(CodeInvalidRequest, descBothCredential)
	}
	return c, nil
}

// lenientBasic decodes Basic credentials as Ruby's Base64.decode64 does:
// characters outside the alphabet are skipped and decoding stops at the
// first '='.
func lenientBasic(encoded string) clientCredentials {
	var b strings.Builder
	for i := 0; i < len(encoded) && encoded[i] != '='; i++ {
		c := encoded[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			b.WriteByte(c)
		}
	}
	s := b.String()
	if len(s)%4 == 1 {
		s = s[:len(s)-1] // a lone trailing character carries no whole byte
	}
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return clientCredentials{}
	}
	id, secret, _ := strings.Cut(string(raw), ":")
	return clientCredentials{id: id, secret: secret, basic: true}
}

// strictBasic decodes RFC 7617 credentials whose parts are form-encoded
// (RFC 6749 §2.3.1).
func strictBasic(encoded string) (clientCredentials, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimLeft(encoded, " "))
	if err != nil {
		return clientCredentials{basic: true}, false
	}
	id, secret, found := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if !found || err1 != nil || err2 != nil {
		return clientCredentials{basic: true}, false
	}
	return clientCredentials{id: id, secret: secret, basic: true}, true
}

// authenticate checks credentials against the registry.
func (p *Portal) authenticate(c clientCredentials) (oauth.Client, error) {
	if !c.present() {
		return oauth.Client{}, errInvalidClient
	}
	client, err := p.clients.Authenticate(c.id, c.secret)
	if err != nil {
		return oauth.Client{}, errInvalidClient
	}
	return client, nil
}

// basicClientID is the client id of an Authorization: Basic header in
// either profile's reading, for the journal and fault rules.
func basicClientID(h string) (string, bool) {
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "basic") {
		return "", false
	}
	if c, ok := strictBasic(rest); ok {
		return c.id, true
	}
	c := lenientBasic(rest)
	return c.id, c.present()
}
