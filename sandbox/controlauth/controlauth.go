// Package controlauth says which requests the sandbox's control token
// guards, in one place that the server and every client of the control
// API share: the sandbox's guard (package sandbox), the conformance runner,
// certify-client and sandboxtest. A client that attached the token to the
// wrong requests would change what a scenario sees (a request meant to
// carry no credentials would carry one), so the rule is a function, not a
// prefix each caller guesses (docs/control-security.md).
//
// It depends on the standard library only, so that importing it costs a
// client nothing.
package controlauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MinTokenLength is the shortest control token the sandbox accepts: 16
// bytes, so that even a token a person typed cannot be guessed over the
// network in any useful time (a random one from `openssl rand -hex 32`
// has 64).
const MinTokenLength = 16

// MaxTokenLength bounds a token so that it fits any header limit with room
// to spare.
const MaxTokenLength = 512

// Scheme is the Authorization scheme the token is sent with (RFC 6750).
const Scheme = "Bearer"

// sessionsPrefix is where each certification session's own sandbox is
// mounted: /_sandbox/sessions/{id}/<any path of a sandbox>.
const sessionsPrefix = "/_sandbox/sessions/"

// exempt are the /_sandbox paths that are not the control API and so need
// no token: the health probe (Docker's HEALTHCHECK and orchestrators ask
// it with no credentials), the HTTPS CA certificate (public, and fetched
// before a client can verify the connection it would send a token over),
// and the sample publisher's webhook receiver and landing page, which the
// sandbox itself and the buyer's browser call as they would a publisher's
// app (the receiver checks the webhook's own JWT).
var exempt = map[string]bool{
	"/_sandbox/health":                   true,
	"/_sandbox/ca.pem":                   true,
	"/_sandbox/microsoft/sample/webhook": true,
	"/_sandbox/microsoft/sample/landing": true,
}

// Guarded reports whether a request for path (as sent, escaped or not)
// needs the control token when one is set: every path of the control API,
// /_sandbox and below it, but the exempt ones. Below a session's prefix
// the rest of the path decides: /_sandbox/sessions/{id}/api/... is the
// partner's marketplace traffic to the session (no token), while
// /_sandbox/sessions/{id}/_sandbox/... is the session's control API
// (token). The session routes themselves (/_sandbox/sessions,
// /_sandbox/sessions/{id} and its report) are control routes.
func Guarded(path string) bool {
	if rest, ok := strings.CutPrefix(path, sessionsPrefix); ok {
		if _, inner, found := strings.Cut(rest, "/"); found && inner != "" && inner != "report" {
			return Guarded("/" + inner)
		}
		return true
	}
	if path != "/_sandbox" && !strings.HasPrefix(path, "/_sandbox/") {
		return false
	}
	return !exempt[path]
}

// CheckToken refuses a token the sandbox would not start with: shorter
// than MinTokenLength or longer than MaxTokenLength bytes, or holding a
// character other than visible ASCII (a space, a control character or
// non-ASCII text cannot travel in an Authorization header unchanged).
func CheckToken(token string) error {
	switch {
	case len(token) < MinTokenLength:
		return fmt.Errorf("must be at least %d bytes long (it is %d; make one with: openssl rand -hex 32)", MinTokenLength, len(token))
	case len(token) > MaxTokenLength:
		return fmt.Errorf("must be at most %d bytes long (it is %d)", MaxTokenLength, len(token))
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x21 || c > 0x7e {
			return errors.New("must be visible ASCII characters only (no spaces, no control characters, no non-ASCII letters)")
		}
	}
	return nil
}

// Transport adds "Authorization: Bearer Token" to the requests it carries
// that Guarded says need it and that go to Host (host[:port] as in a
// URL; empty: any host). A request that already has an Authorization
// header keeps it: the caller meant it. Requests for other hosts (a
// webhook receiver, an Entra authority elsewhere) never see the token.
type Transport struct {
	// Base carries the requests; nil means http.DefaultTransport.
	Base  http.RoundTripper
	Token string
	Host  string
}

// RoundTrip implements http.RoundTripper. It clones a request before
// adding the header, as a RoundTripper must not change the caller's.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Token == "" || req.Header.Get("Authorization") != "" || (t.Host != "" && !strings.EqualFold(req.URL.Host, t.Host)) ||
		!Guarded(req.URL.EscapedPath()) {
		return base.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", Scheme+" "+t.Token)
	return base.RoundTrip(out)
}

// Client returns a copy of c (nil: a new client) whose transport adds
// token to the control requests it sends to host (see Transport).
func Client(c *http.Client, token, host string) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	if token != "" {
		out.Transport = &Transport{Base: out.Transport, Token: token, Host: host}
	}
	return out
}
