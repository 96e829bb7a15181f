package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// maxRoutingPeek is how much of a token request's body RequestClientID
// reads to find the client id; a client_id past it is not seen (the
// request then goes to the default workspace, which judges it).
const maxRoutingPeek = 16 << 10

// RequestClientID names the OAuth client a request to Doorkeeper's
// /oauth/… routes presents (HTTP Basic wins, then the client_id of a form
// or JSON body, as the token endpoint reads them), or "" for any other
// request. It puts back what it read of the body, so the portal reads the
// request whole. A sandbox serving several workspaces routes a token
// request to the one whose client it names.
func RequestClientID(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, "/oauth/") || r.Method != http.MethodPost {
		return ""
	}
	if rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic "); ok {
		if c := lenientBasic(rest); c.present() {
			return c.id
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	head, _ := io.ReadAll(io.LimitReader(r.Body, maxRoutingPeek))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media == "application/json" {
		var body struct {
			ClientID string `json:"client_id"`
		}
		_ = json.Unmarshal(head, &body)
		return body.ClientID
	}
	form, err := url.ParseQuery(string(head))
	if err != nil {
		return ""
	}
	return form.Get("client_id")
}

// BearerToken is the token of an Authorization: Bearer header, or "".
func BearerToken(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || len(token) != oauth.TokenLength {
		return ""
	}
	return token
}
