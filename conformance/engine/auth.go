package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// authenticate adds the Authorization header a step asks for. A literal
// Authorization header in `headers` wins, so scenarios can send malformed
// ones.
func (s *state) authenticate(ctx context.Context, a *scenario.Auth, out *outgoing, sr *StepResult) error {
	if a == nil || out.header.Get("Authorization") != "" {
		return nil
	}
	switch {
	case a.Token != "":
		tok, err := s.token(ctx, a.Token, a.Scope, sr)
		if err != nil {
			return err
		}
		out.header.Set("Authorization", "Bearer "+tok)
	case a.Bearer != "":
		tok, err := s.text(a.Bearer)
		if err != nil {
			return err
		}
		out.header.Set("Authorization", "Bearer "+tok)
	case a.Basic != nil:
		user, pass, err := s.basic(a.Basic)
		if err != nil {
			return err
		}
		out.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	return nil
}

func (s *state) basic(b *scenario.Basic) (string, string, error) {
	if b.Credential != "" {
		c, ok := s.runner.target.Credentials[b.Credential]
		if !ok {
			return "", "", brokenf("the target has no credential %q", b.Credential)
		}
		return c.ClientID, c.ClientSecret, nil
	}
	user, err := s.text(b.Username)
	if err != nil {
		return "", "", err
	}
	pass, err := s.text(b.Password)
	return user, pass, err
}

// token returns a client-credentials token for a credential, fetched once
// per scenario and scope: a scenario that advances the clock past expiry
// keeps using the token it had, which is the point of such a scenario.
func (s *state) token(ctx context.Context, cred, scope string, sr *StepResult) (string, error) {
	c, ok := s.runner.target.Credentials[cred]
	if !ok {
		return "", brokenf("the target has no credential %q", cred)
	}
	scope, err := s.text(scope)
	if err != nil {
		return "", err
	}
	if scope == "" {
		scope = c.Scope
	}
	key := cred + " " + scope
	if tok, ok := s.tokens[key]; ok {
		return tok, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID},
		"client_secret": {c.ClientSecret}, "scope": {scope}}
	out := &outgoing{method: "POST", path: "/oauth/token", query: url.Values{},
		header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte(form.Encode())}
	resp, err := s.do(ctx, out, sr, "token for "+cred)
	var te transportError
	if errors.As(err, &te) {
		return "", targetFailure{msg: fmt.Sprintf("could not obtain a token for credential %q (scope %q): no HTTP answer (%v)", cred, scope, te)}
	}
	if err != nil {
		return "", err
	}
	tok, _ := mapField(resp.json, "access_token").(string)
	if resp.status != 200 || tok == "" {
		return "", targetFailure{msg: fmt.Sprintf("could not obtain a token for credential %q (scope %q): status %d, body %s",
			cred, scope, resp.status, excerpt(resp.body))}
	}
	s.tokens[key] = tok
	return tok, nil
}

func mapField(doc any, key string) any {
	if m, ok := doc.(map[string]any); ok {
		return m[key]
	}
	return nil
}

// excerpt shows the start of a body on one line, for failure messages.
func excerpt(body []byte) string {
	const limit = 300
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
