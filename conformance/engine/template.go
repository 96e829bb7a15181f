package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/expect"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// scenarioError marks a problem of the scenario itself (outcome error).
type scenarioError struct{ msg string }

func (e scenarioError) Error() string { return e.msg }

func brokenf(format string, args ...any) error {
	return scenarioError{msg: fmt.Sprintf(format, args...)}
}

// resolve substitutes ${...} references in v and returns a deep copy. A
// string that is exactly one reference takes the referenced value with its
// type (a number stays a number, a fragment stays an object); references
// inside longer strings are replaced by their text.
func (s *state) resolve(v any) (any, error) {
	return s.resolveDepth(v, 0)
}

func (s *state) resolveDepth(v any, depth int) (any, error) {
	if depth > 8 {
		return nil, brokenf("fragments refer to each other too deeply")
	}
	switch x := v.(type) {
	case string:
		return s.resolveString(x, depth)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, child := range x {
			r, err := s.resolveDepth(child, depth)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, child := range x {
			r, err := s.resolveDepth(child, depth)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func (s *state) resolveString(str string, depth int) (any, error) {
	if ref, ok := scenario.SingleReference(str); ok {
		val, err := s.lookup(ref)
		if err != nil {
			return nil, err
		}
		return s.resolveDepth(val, depth+1)
	}
	var failed error
	out := scenario.ExpandReferences(str, func(ref scenario.Reference) string {
		val, err := s.lookup(ref)
		if err == nil {
			// a fragment may itself hold references: "${fragments.path}-b"
			val, err = s.resolveDepth(val, depth+1)
		}
		if err != nil {
			failed = err
			return ""
		}
		if text, ok := val.(string); ok {
			return text
		}
		return strings.Trim(expect.Show(val), `"`)
	})
	return out, failed
}

// text resolves a string field that must stay a string.
func (s *state) text(str string) (string, error) {
	v, err := s.resolve(str)
	if err != nil {
		return "", err
	}
	if t, ok := v.(string); ok {
		return t, nil
	}
	return strings.Trim(expect.Show(v), `"`), nil
}

func (s *state) lookup(ref scenario.Reference) (any, error) {
	name := func(i int) string {
		if i < len(ref.Parts) {
			return ref.Parts[i]
		}
		return ""
	}
	switch ref.Namespace {
	case "unique":
		return s.unique, nil
	case "vars":
		if v, ok := s.vars[name(0)]; ok {
			return v, nil
		}
		return nil, brokenf("${vars.%s} is used before a step captured it", name(0))
	case "fragments":
		if v, ok := s.fragments[name(0)]; ok {
			return v, nil
		}
	case "target":
		if s.scenario.API == scenario.APIMicrosoft {
			return s.microsoftTargetField(name(0))
		}
		switch name(0) {
		case "url":
			return s.runner.target.BaseURL.String(), nil
		case "productId":
			return s.runner.target.ProductID, nil
		}
	case "creds":
		return s.credentialField(name(0), name(1))
	}
	return nil, brokenf("unknown reference ${%s}", strings.Join(append([]string{ref.Namespace}, ref.Parts...), "."))
}

// microsoftTargetField is ${target.<name>} of a Microsoft scenario. A
// catalogue value the target neither gave nor offers is a scenario error
// naming the configuration key.
func (s *state) microsoftTargetField(name string) (any, error) {
	switch name {
	case "url":
		return s.runner.target.BaseURL.String(), nil
	case "webhookUrl":
		if s.runner.receiver == nil {
			return nil, brokenf("${target.webhookUrl}: %v", errNoReceiver)
		}
		return s.runner.receiver.URL(), nil
	}
	var v string
	if ms := s.runner.target.Microsoft; ms != nil {
		v = ms.Fields[name]
	}
	if v == "" {
		return nil, brokenf("${target.%s}: the target configuration gives no microsoft.%s (and the target does not publish one)", name, name)
	}
	if name == "perSeatMax" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, brokenf("${target.perSeatMax}: %q is not a whole number", v)
		}
		return n, nil
	}
	return v, nil
}

func (s *state) credentialField(cred, field string) (any, error) {
	if s.scenario.API == scenario.APIMicrosoft {
		p, ok := s.publisher(cred)
		if !ok {
			return nil, brokenf("the target has no Microsoft publisher %q", cred)
		}
		v := map[string]string{"tenantId": p.TenantID, "clientId": p.ClientID, "clientSecret": p.ClientSecret, "publisherId": p.PublisherID}[field]
		if v == "" {
			return nil, brokenf("the target names no %s for Microsoft publisher %q", field, cred)
		}
		return v, nil
	}
	c, ok := s.runner.target.Credentials[cred]
	if !ok {
		return nil, brokenf("the target has no credential %q", cred)
	}
	switch field {
	case "clientId":
		return c.ClientID, nil
	case "clientSecret":
		return c.ClientSecret, nil
	case "scope":
		return c.Scope, nil
	case "tradingPartnerId":
		return c.TradingPartnerID, nil
	case "partnerId":
		if c.PartnerID == "" {
			return nil, brokenf("the target names no partner id for credential %q (our sandbox's fixtures do)", cred)
		}
		return c.PartnerID, nil
	}
	return nil, brokenf("credentials have no field %q", field)
}

// resolveMatcher substitutes references in every operand of m.
func (s *state) resolveMatcher(m scenario.Matcher) (scenario.Matcher, error) {
	var err error
	one := func(v any) any {
		if err != nil || v == nil {
			return v
		}
		var r any
		r, err = s.resolve(v)
		return r
	}
	m.Equals, m.Contains, m.Excludes = one(m.Equals), one(m.Contains), one(m.Excludes)
	m.GT, m.GE, m.LT, m.LE = one(m.GT), one(m.GE), one(m.LT), one(m.LE)
	if m.OneOf != nil {
		if list, ok := one(m.OneOf).([]any); ok {
			m.OneOf = list
		}
	}
	if m.ContainsAll != nil {
		if list, ok := one(m.ContainsAll).([]any); ok {
			m.ContainsAll = list
		}
	}
	if m.Matches != "" && err == nil {
		m.Matches, err = s.text(m.Matches)
	}
	if m.Length != nil && err == nil {
		var l scenario.Matcher
		l, err = s.resolveMatcher(*m.Length)
		m.Length = &l
	}
	return m, err
}
