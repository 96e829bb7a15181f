package gitlab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/oauth"
)

// controlToken is an issued token as the control API shows it. The value
// is shown whole: the control API is the partner's own test tool (it
// already lists the fixtures' secrets), and a test may need to revoke the
// token an OAuth library inside the application under test obtained. The
// request journal masks it like every other secret.
type controlToken struct {
	Token     string    `json:"token"`
	ClientID  string    `json:"clientId"`
	Partner   string    `json:"partner"`
	Scopes    []string  `json:"scopes"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	State     string    `json:"state"`
}

func controlTokenOf(t oauth.TokenState) controlToken {
	return controlToken{Token: t.Value, ClientID: t.ClientID, Partner: t.Owner, Scopes: t.Scopes,
		IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt, State: t.State}
}

// listTokens is GET /_sandbox/gitlab/tokens: the issued tokens, oldest
// first, with their state on the token clock; filters clientId, partner
// and state, paged as every control listing is.
func (p *Portal) listTokens(w http.ResponseWriter, r *http.Request) error {
	q, pg, err := filters(r, "clientId", "partner", "state")
	if err != nil {
		return err
	}
	state := q.Get("state")
	if state != "" && !slices.Contains([]string{oauth.StateActive, oauth.StateExpired, oauth.StateRevoked}, state) {
		return newError(CodeInvalidRequest, "state must be active, expired or revoked.")
	}
	out := []controlToken{}
	for _, t := range p.tokens.List() {
		if (q.Get("clientId") == "" || t.ClientID == q.Get("clientId")) && (q.Get("partner") == "" || t.Owner == q.Get("partner")) && (state == "" || t.State == state) {
			out = append(out, controlTokenOf(t))
		}
	}
	writeJSON(w, http.StatusOK, listing.Of(r, "tokens", out, pg))
	return nil
}

// revokeRequest names what POST /_sandbox/gitlab/tokens/revoke revokes:
// one token, or every token of one client.
type revokeRequest struct {
	Token    string `json:"token"`
	ClientID string `json:"clientId"`
}

// controlRevoke is POST /_sandbox/gitlab/tokens/revoke, so a test can see
// a revoked token answered 401 "The access token was revoked" without
// driving /oauth/revoke. {"token": …} revokes one token (404 if the
// sandbox never issued it); {"clientId": …} revokes every token of a
// fixtures client (404 for a client the fixtures lack, listing them).
// The answer lists the tokens revoked now.
func (p *Portal) controlRevoke(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, p.settings.MaxBodyBytes)
	if err != nil {
		return err
	}
	var req revokeRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return newError(CodeBadRequest, `The body must be one JSON object, {"token": "…"} or {"clientId": "…"}, with no other field.`)
	}
	var revoked []oauth.Token
	switch {
	case (req.Token == "") == (req.ClientID == ""):
		return newError(CodeInvalidRequest, `Give exactly one of "token" and "clientId".`)
	case req.Token != "":
		tok, ok := p.tokens.Holder(req.Token)
		if !ok {
			return newError(CodeNotFound, "No token with that value was issued (since the last reset).")
		}
		if p.tokens.Revoke(req.Token) {
			revoked = append(revoked, tok)
		}
	default:
		if _, ok := p.clients.Client(req.ClientID); !ok {
			_, clients := p.Identities()
			return newError(CodeNotFound, fmt.Sprintf("No client %q in the fixtures; the clients are %s.", req.ClientID, strings.Join(clients, ", ")))
		}
		revoked = p.tokens.RevokeClient(req.ClientID)
	}
	out := make([]controlToken, 0, len(revoked))
	for _, t := range revoked {
		out = append(out, controlTokenOf(oauth.TokenState{Token: t, State: oauth.StateRevoked}))
	}
	writeJSON(w, http.StatusOK, struct {
		Revoked []controlToken `json:"revoked"`
	}{out})
	return nil
}
