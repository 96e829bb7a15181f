package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
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
		tok, err := s.token(ctx, a.Token, a.Scope, a.Version, sr)
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
		if s.scenario.API == scenario.APIMicrosoft {
			p, ok := s.publisher(b.Credential)
			if !ok {
				return "", "", brokenf("the target has no Microsoft publisher %q", b.Credential)
			}
			return p.ClientID, p.ClientSecret, nil
		}
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
// per scenario and scope and then reused, as a real OAuth client caches
// it: a scenario that advances the clock past expiry keeps sending the
// token it had, which is the point of such a scenario. A token step
// (freshToken) replaces the cached token.
func (s *state) token(ctx context.Context, cred, scope, version string, sr *StepResult) (string, error) {
	key, err := s.tokenKey(cred, scope, version)
	if err != nil {
		return "", err
	}
	if tok, ok := s.tokens[key.String()]; ok {
		return tok, nil
	}
	if s.scenario.API == scenario.APIMicrosoft && !s.runner.target.Capabilities[scenario.CapabilityTokens] {
		// The emulator has no token service and reads the publisher from
		// any JWT's claims.
		tok, err := s.mintToken(cred)
		if err == nil {
			s.tokens[key.String()] = tok
			s.mask.add(tok)
		}
		return tok, err
	}
	tok, _, err := s.fetchToken(ctx, key, sr, "token for "+cred)
	return tok, err
}

// tokenKey names a cached token: a credential, the scope requested and,
// for Microsoft, the Entra endpoint's version.
type tokenKey struct{ cred, scope, version string }

func (k tokenKey) String() string { return k.cred + " " + k.scope + " " + k.version }

func (s *state) tokenKey(cred, scope, version string) (tokenKey, error) {
	scope, err := s.text(scope)
	if err != nil {
		return tokenKey{}, err
	}
	if s.scenario.API == scenario.APIMicrosoft {
		if _, ok := s.publisher(cred); !ok {
			return tokenKey{}, brokenf("the target has no Microsoft publisher %q", cred)
		}
		return tokenKey{cred: cred, scope: scope, version: orDefault(version, "v2")}, nil
	}
	c, ok := s.runner.target.Credentials[cred]
	if !ok {
		return tokenKey{}, brokenf("the target has no credential %q", cred)
	}
	if scope == "" {
		scope = c.Scope
	}
	return tokenKey{cred: cred, scope: scope}, nil
}

// publisher is a Microsoft publisher's app by scenario name.
func (s *state) publisher(name string) (target.Publisher, bool) {
	if s.runner.target.Microsoft == nil {
		return target.Publisher{}, false
	}
	p, ok := s.runner.target.Microsoft.Publishers[name]
	return p, ok
}

// fetchToken asks the token endpoint for a new token and caches it. A
// target that answers without a token fails the step.
func (s *state) fetchToken(ctx context.Context, key tokenKey, sr *StepResult, purpose string) (string, *response, error) {
	out, err := s.dialect.tokenRequest(s, key)
	if err != nil {
		return "", nil, err
	}
	resp, err := s.do(ctx, out, sr, purpose)
	var te transportError
	if errors.As(err, &te) {
		return "", nil, targetFailure{msg: fmt.Sprintf("could not obtain a token for credential %q (scope %q): no HTTP answer (%v)", key.cred, key.scope, te)}
	}
	if err != nil {
		return "", nil, err
	}
	tok, _ := mapField(resp.json, "access_token").(string)
	if resp.status != 200 || tok == "" {
		return "", nil, targetFailure{msg: fmt.Sprintf("could not obtain a token for credential %q (scope %q): status %d, body %s",
			key.cred, key.scope, resp.status, excerpt(resp.body))}
	}
	s.tokens[key.String()] = tok
	return tok, resp, nil
}

// tokenStep asks for a new token now, replacing the one cached for the
// credential and scope, so that later `auth: {token: …}` requests send
// it. It is what a client does once its token is past its lifetime on
// the portal's clock: a scenario that advanced that clock cannot rely on
// the harness's own (wall) clock to notice. The token answer is captured
// and checked like a response.
func (s *state) tokenStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	key, err := s.tokenKey(st.Token.Credential, st.Token.Scope, st.Token.Version)
	if err != nil {
		return err
	}
	_, resp, err := s.fetchToken(ctx, key, sr, "new token for "+key.cred)
	if err != nil {
		return s.failOn(err, sr)
	}
	return s.judge(st, resp, sr)
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
