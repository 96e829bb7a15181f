package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// Identify names the partner and OAuth client behind a request, before
// or after the handler runs, for fault rules scoped to a partner and for
// the request journal: the owner of a bearer token (live or not), the
// client of HTTP Basic credentials, or the client_id of a token request's
// body or query. The body is peeked (at most gitlab.max_body_bytes) and
// put back, so the handler reads it whole. Unknown clients name no one.
func (p *Portal) Identify(r *http.Request) (partner, client string) {
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "bearer"):
		if tok, ok := p.tokens.Holder(strings.TrimSpace(value)); ok {
			return tok.Owner, tok.ClientID
		}
		return "", ""
	case strings.EqualFold(scheme, "basic"):
		if id, ok := basicClientID(r.Header.Get("Authorization")); ok {
			return p.client(id)
		}
		return "", ""
	}
	q := r.URL.Query()
	for _, name := range []string{"access_token", "bearer_token"} {
		if tok, ok := p.tokens.Holder(q.Get(name)); ok {
			return tok.Owner, tok.ClientID
		}
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/oauth/") {
		return "", ""
	}
	if id := q.Get("client_id"); id != "" {
		return p.client(id)
	}
	return p.client(clientIDInBody(r, p.settings.MaxBodyBytes))
}

// Identities lists the partner ids and OAuth client ids of the fixtures,
// sorted: what a fault rule may match on.
func (p *Portal) Identities() (partners, clients []string) {
	for id, partner := range p.partners {
		partners = append(partners, id)
		clients = append(clients, partner.ClientID)
	}
	slices.Sort(partners)
	slices.Sort(clients)
	return partners, clients
}

func (p *Portal) client(id string) (partner, client string) {
	if owner, ok := p.clients.Owner(id); ok {
		return owner, id
	}
	return "", ""
}

// clientIDInBody reads client_id from a form or JSON body, then restores
// the body for whoever reads it next.
func clientIDInBody(r *http.Request, limit int64) string {
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	peeked, _ := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peeked), r.Body), r.Body}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		form, _ := url.ParseQuery(string(peeked))
		return form.Get("client_id")
	case "application/json":
		var body struct {
			ClientID string `json:"client_id"`
		}
		_ = json.Unmarshal(peeked, &body)
		return body.ClientID
	}
	return ""
}

// faultText is the error_description of each fault code, worded like the
// pages a gateway in front of a Rails application answers with.
var faultText = map[Code]string{
	CodeRequestTimeout:     "The server timed out waiting for the request.",
	CodeRateLimited:        "Too many requests. Retry later.",
	CodeBadGateway:         "The server received an invalid response from an upstream server.",
	CodeServiceUnavailable: "The service is temporarily unavailable. Retry later.",
	CodeGatewayTimeout:     "The server did not receive a timely response from an upstream server.",
}

// faultCode picks the code that fits an injected status. Where the portal
// has several codes for one status, the generic one is taken; every other
// status has exactly one code.
func faultCode(status int) (Code, bool) {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest, true
	case http.StatusUnauthorized:
		return CodeUnauthorized, true
	case http.StatusConflict:
		return CodeConflict, true
	}
	for c, s := range statusOf {
		if s == status {
			return c, true
		}
	}
	return "", false
}

// FaultStatuses lists the error statuses a fault rule may inject into the
// portal: those with a code in its envelope.
func FaultStatuses() []int {
	var out []int
	for _, s := range statusOf {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// WriteFault answers an injected error status in the portal's envelope,
// with message as error_description when it is not empty.
func (p *Portal) WriteFault(w http.ResponseWriter, r *http.Request, status int, message string) {
	code, ok := faultCode(status)
	if !ok {
		code = CodeInternal
	}
	if message == "" {
		message = faultText[code]
	}
	if message == "" {
		message = "Injected fault: " + http.StatusText(status) + "."
	}
	writeError(w, r, p.log, newError(code, message))
}

// Secrets are the values the request journal must mask wherever they
// appear: the fixtures' client secrets, the callout password, and every
// token issued.
func (p *Portal) Secrets() journal.Secrets {
	return journal.Secrets{
		Fixed:        append(p.clients.Secrets(), p.settings.Zuora.CalloutPassword),
		Issued:       p.tokens.Issued,
		IssuedLength: oauth.TokenLength,
	}
}
