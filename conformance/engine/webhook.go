package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// defaultWebhookWait is how long a webhook step waits when it does not say.
const defaultWebhookWait = 5 * time.Second

// webhookStep is the publisher's side of the wire. `respond` sets how the
// receiver answers what comes next; otherwise the step waits for
// deliveries matching `match`, received during this scenario and not
// taken by an earlier webhook step, and judges the last one: its request
// headers and body are what `expect` and `capture` read (`status` is the
// receiver's own answer). `none` expects no matching delivery at all
// within the timeout; `verify` checks the delivery's JWT.
func (s *state) webhookStep(ctx context.Context, st scenario.Step, sr *StepResult) error {
	rc := s.runner.receiver
	if rc == nil {
		return brokenf("%v", errNoReceiver)
	}
	w := st.Webhook
	if w.Respond != nil {
		a := *w.Respond
		rc.respond(&a)
		s.answered = true
		return nil
	}
	match, err := s.resolveMatchers(w.Match)
	if err != nil {
		return err
	}
	count := max(w.Count, 1)
	timeout := time.Duration(w.Timeout)
	if timeout <= 0 {
		timeout = defaultWebhookWait
	}
	var problem error
	keep := func(d *delivery) bool {
		if s.taken[d.seq] {
			return false
		}
		ok, err := s.deliveryMatches(d, match)
		if err != nil && problem == nil {
			problem = err
		}
		return ok
	}
	found, err := rc.wait(ctx, s.webhooksFrom, count, timeout, keep)
	if problem != nil {
		return problem
	}
	if err != nil {
		return err
	}
	for _, d := range found {
		s.taken[d.seq] = true
		sr.Exchanges = append(sr.Exchanges, d.exchange(s.mask, rc.URL()))
	}
	if w.None {
		if len(found) > 0 {
			sr.Failures = append(sr.Failures, fmt.Sprintf("webhook: want no delivery matching %s within %s, got one: %s",
				describeMatch(w.Match), timeout, excerpt(found[0].body)))
		}
		return nil
	}
	if len(found) < count {
		sr.Failures = append(sr.Failures, fmt.Sprintf("webhook: want %d deliveries matching %s within %s, got %d%s",
			count, describeMatch(w.Match), timeout, len(found), s.otherDeliveries()))
		return nil
	}
	last := found[len(found)-1]
	if w.Verify {
		for _, d := range found {
			sr.Failures = append(sr.Failures, s.verifyWebhook(ctx, d, sr)...)
		}
	}
	return s.judge(st, last.asResponse(), sr)
}

// asResponse lets expect and capture read a delivery like an answer.
func (d *delivery) asResponse() *response {
	r := &response{method: d.method, path: d.path, status: d.status, header: d.header, body: d.body}
	r.jsonErr = json.Unmarshal(d.body, &r.json)
	if len(d.body) == 0 {
		r.jsonErr = errors.New("empty body")
	}
	return r
}

// deliveryMatches applies a webhook step's matchers to a delivery's body.
func (s *state) deliveryMatches(d *delivery, match map[string]scenario.Matcher) (bool, error) {
	if len(match) == 0 {
		return true, nil
	}
	unmet, err := s.checkJSON(match, d.asResponse())
	return len(unmet) == 0, err
}

// resolveMatchers substitutes the references of a set of matchers once,
// so that a wait compares every delivery against the same values.
func (s *state) resolveMatchers(in map[string]scenario.Matcher) (map[string]scenario.Matcher, error) {
	out := make(map[string]scenario.Matcher, len(in))
	for k, m := range in {
		r, err := s.resolveMatcher(m)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, nil
}

func describeMatch(m map[string]scenario.Matcher) string {
	if len(m) == 0 {
		return "anything"
	}
	keys := slices.Sorted(maps.Keys(m))
	return "{" + strings.Join(keys, ", ") + "}"
}

// otherDeliveries says what else arrived during the scenario, so that a
// missing webhook's failure shows what came instead.
func (s *state) otherDeliveries() string {
	all, _ := s.runner.receiver.since(s.webhooksFrom)
	if len(all) == 0 {
		return " (no delivery at all reached the harness during this scenario: is the target pointed at " + s.runner.receiver.URL() + "?)"
	}
	var shown []string
	for _, d := range all {
		var body struct {
			Action, Status, SubscriptionID string
		}
		_ = json.Unmarshal(d.body, &body)
		shown = append(shown, fmt.Sprintf("%s %s of %s", body.Action, body.Status, body.SubscriptionID))
	}
	return fmt.Sprintf(" (received during the scenario: %s)", strings.Join(shown, "; "))
}

// recordDeliveries ends a scenario's report with every delivery the
// receiver got during it, waited for or not, and puts the receiver's
// answer back to 200.
func (s *state) recordDeliveries() {
	rc := s.runner.receiver
	if rc == nil || s.scenario.API != scenario.APIMicrosoft {
		return
	}
	if s.answered {
		rc.respond(nil)
	}
	all, _ := rc.since(s.webhooksFrom)
	if len(all) == 0 {
		return
	}
	sr := StepResult{Name: "every webhook the harness received during the scenario", Kind: "webhooks", Exchanges: []Exchange{}}
	for _, d := range all {
		sr.Exchanges = append(sr.Exchanges, d.exchange(s.mask, rc.URL()))
	}
	s.result.Steps = append(s.result.Steps, sr)
}

// pointWebhooks makes the target deliver the publishers' webhooks to the
// harness: our sandbox through PATCH /_sandbox/microsoft/publishers/{id},
// the emulator through its configuration. Every Microsoft scenario that
// needs webhooks starts with it (a reset, by anyone, restores the
// fixtures' URLs), and so does every reset of such a scenario.
func (s *state) pointWebhooks(ctx context.Context, sr *StepResult) error {
	rc := s.runner.receiver
	if rc == nil || !slices.Contains(s.scenario.Needs, scenario.CapabilityWebhooks) {
		return nil
	}
	if s.runner.target.Control == target.ControlEmulator {
		return s.emulatorPointWebhooks(ctx, sr)
	}
	s.pointed = true
	return s.setWebhookURLs(ctx, sr, func(target.Publisher) string { return rc.URL() }, "point %s's webhooks at the harness")
}

// setWebhookURLs sets each publisher's webhook URL on our sandbox.
func (s *state) setWebhookURLs(ctx context.Context, sr *StepResult, to func(target.Publisher) string, purpose string) error {
	ms := s.runner.target.Microsoft
	for _, name := range slices.Sorted(maps.Keys(ms.Publishers)) {
		p := ms.Publishers[name]
		if p.PublisherID == "" || to(p) == "" {
			continue
		}
		body, _ := json.Marshal(map[string]string{"webhookUrl": to(p)})
		out := &outgoing{method: http.MethodPatch, path: "/_sandbox/microsoft/publishers/" + url.PathEscape(p.PublisherID),
			query: url.Values{}, header: http.Header{"Content-Type": {"application/json"}}, body: body}
		what := fmt.Sprintf(purpose, name)
		resp, err := s.do(ctx, out, sr, what)
		if err != nil {
			return err
		}
		if resp.status != http.StatusOK {
			return targetFailure{msg: fmt.Sprintf("%s: status %d, body %s", what, resp.status, excerpt(resp.body))}
		}
	}
	return nil
}

// restoreWebhooks puts the publishers' webhook URLs back as the run found
// them, after a scenario that pointed them at the harness: deliveries
// still due (retries) must not pile up against a receiver that stops with
// the run. A target that refuses fails the scenario, as a clean-up does.
func (s *state) restoreWebhooks(ctx context.Context) {
	if !s.pointed || s.runner.target.Control == target.ControlEmulator {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	sr := StepResult{Name: "put the publishers' webhook URLs back", Kind: "cleanup", Exchanges: []Exchange{}}
	err := s.setWebhookURLs(ctx, &sr, func(p target.Publisher) string { return p.WebhookURL }, "put %s's webhook URL back")
	if err != nil {
		sr.Failures = append(sr.Failures, s.mask.text(err.Error()))
		s.result.Failures = append(s.result.Failures, Failure{Step: "cleanup", Message: s.mask.text(err.Error())})
		if s.result.Outcome == Pass {
			s.result.Outcome = Fail
		}
	}
	s.result.Steps = append(s.result.Steps, sr)
}

// The claims a webhook's token must carry (docs/microsoft.md §6).
type webhookClaims struct {
	jwt.Claims
	TenantID string `json:"tid"`
	AppID    string `json:"appid"`
	AZP      string `json:"azp"`
}

// webhookSkew is the clock difference tolerated on exp and nbf, as stock
// verifiers allow (Microsoft.IdentityModel: 5 minutes).
const webhookSkew = 5 * time.Minute

// verifyWebhook checks a delivery's JWT as a careful publisher does:
// signed RS256 by a key of the publisher's tenant's discovery document,
// aud the publisher's app, tid its tenant, appid / azp the marketplace,
// within its lifetime on the harness's clock.
func (s *state) verifyWebhook(ctx context.Context, d *delivery, sr *StepResult) []string {
	p, ok := s.publisher("publisher")
	if !ok {
		return []string{"webhook JWT: the target has no Microsoft publisher \"publisher\" to verify against"}
	}
	raw, ok := strings.CutPrefix(d.header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		got := "none"
		if d.header.Get("Authorization") != "" {
			got = "a value that is not a Bearer token"
		}
		return []string{"webhook JWT: want Authorization: Bearer <JWT>, got " + got}
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return []string{"webhook JWT: not an RS256 JWS: " + err.Error()}
	}
	keys, err := s.tenantKeys(ctx, p.TenantID, sr)
	if err != nil {
		return []string{"webhook JWT: " + err.Error()}
	}
	var claims webhookClaims
	verified := false
	for _, h := range tok.Headers {
		for _, k := range keys.Key(h.KeyID) {
			if tok.Claims(k.Key, &claims) == nil {
				verified = true
			}
		}
	}
	if !verified {
		return []string{fmt.Sprintf("webhook JWT: the signature does not verify with any key of tenant %s's discovery document", p.TenantID)}
	}
	var out []string
	if !slices.Contains(claims.Audience, p.ClientID) {
		out = append(out, fmt.Sprintf("webhook JWT: aud: want the publisher's app %s, got %v", p.ClientID, []string(claims.Audience)))
	}
	if claims.TenantID != p.TenantID {
		out = append(out, fmt.Sprintf("webhook JWT: tid: want the publisher's tenant %s, got %q", p.TenantID, claims.TenantID))
	}
	if claims.AppID != marketplaceResource && claims.AZP != marketplaceResource {
		out = append(out, fmt.Sprintf("webhook JWT: appid / azp: want the marketplace's %s, got appid %q, azp %q", marketplaceResource, claims.AppID, claims.AZP))
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, webhookSkew); err != nil {
		out = append(out, "webhook JWT: lifetime: "+err.Error())
	}
	if claims.Expiry == nil {
		out = append(out, "webhook JWT: exp: want an expiry, got none")
	}
	return out
}

// tenantKeys fetches a tenant's signing keys the way a publisher's
// verifier finds them: the v2.0 OpenID discovery document of the
// authority, then its jwks_uri. Both requests are in the step's record.
func (s *state) tenantKeys(ctx context.Context, tenant string, sr *StepResult) (*jose.JSONWebKeySet, error) {
	if keys, ok := s.runner.keys.Load(tenant); ok {
		return keys.(*jose.JSONWebKeySet), nil
	}
	authority := s.runner.target.Microsoft.Authority
	disc := &outgoing{method: http.MethodGet, path: "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration",
		query: url.Values{}, header: http.Header{}, base: authority}
	resp, err := s.do(ctx, disc, sr, "the tenant's OpenID discovery document")
	if err != nil {
		return nil, err
	}
	jwksURI, _ := mapField(resp.json, "jwks_uri").(string)
	if resp.status != http.StatusOK || jwksURI == "" {
		return nil, fmt.Errorf("discovery document: status %d, no jwks_uri: %s", resp.status, excerpt(resp.body))
	}
	u, err := url.Parse(jwksURI)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("discovery document: jwks_uri %q is not an absolute URL", jwksURI)
	}
	keysReq := &outgoing{method: http.MethodGet, path: u.EscapedPath(), query: u.Query(), header: http.Header{},
		base: &url.URL{Scheme: u.Scheme, Host: u.Host}}
	resp, err = s.do(ctx, keysReq, sr, "the tenant's signing keys")
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &set) != nil || len(set.Keys) == 0 {
		return nil, fmt.Errorf("jwks_uri %s: status %d, no key set: %s", jwksURI, resp.status, excerpt(resp.body))
	}
	s.runner.keys.Store(tenant, &set)
	return &set, nil
}
