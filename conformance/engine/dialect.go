package engine

import (
	"net/url"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// A dialect is what one marketplace API's scenarios mean by the shared
// words of the format: which credentials `auth: {token: …}` names and how
// their tokens are fetched, what every request carries, and the control
// vocabulary. The scenario's `api:` picks it.
type dialect interface {
	// tokenRequest builds the client-credentials request of key.
	tokenRequest(s *state, key tokenKey) (*outgoing, error)
	// prepare adds what every request of the API carries.
	prepare(req scenario.Request, out *outgoing)
	// clockCapability is what the target must offer for a poll to advance
	// its clock instead of waiting.
	clockCapability() string
}

func dialectOf(api string) dialect {
	if api == scenario.APIMicrosoft {
		return microsoftDialect{}
	}
	return gitlabDialect{}
}

// gitlabDialect: Doorkeeper's client-credentials tokens at /oauth/token.
type gitlabDialect struct{}

func (gitlabDialect) tokenRequest(s *state, key tokenKey) (*outgoing, error) {
	c, ok := s.runner.target.Credentials[key.cred]
	if !ok {
		return nil, brokenf("the target has no credential %q", key.cred)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID},
		"client_secret": {c.ClientSecret}, "scope": {key.scope}}
	return formPost("/oauth/token", form), nil
}

func (gitlabDialect) prepare(scenario.Request, *outgoing) {}

func (gitlabDialect) clockCapability() string { return scenario.CapabilityControl }

// Microsoft's constants (docs/microsoft.md §1, §2).
const (
	// marketplaceResource is the SaaS Fulfillment API's Entra resource id:
	// v1 tokens ask for it as `resource`, v2 as `<id>/.default`.
	marketplaceResource = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
	// apiVersion is the only version of the fulfillment API v2.
	apiVersion = "2018-08-31"
)

// microsoftDialect: Entra tokens per tenant (v1 `resource`, v2 `scope`),
// and `api-version` on every /api/ call.
type microsoftDialect struct{}

func (microsoftDialect) tokenRequest(s *state, key tokenKey) (*outgoing, error) {
	p, ok := s.publisher(key.cred)
	if !ok {
		return nil, brokenf("the target has no Microsoft publisher %q", key.cred)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret}}
	path := "/" + url.PathEscape(p.TenantID) + "/oauth2/v2.0/token"
	if key.version == "v1" {
		path = "/" + url.PathEscape(p.TenantID) + "/oauth2/token"
		form.Set("resource", orDefault(key.scope, marketplaceResource))
	} else {
		form.Set("scope", orDefault(key.scope, marketplaceResource+"/.default"))
	}
	out := formPost(path, form)
	out.base = s.runner.target.Microsoft.Authority
	return out, nil
}

// prepare adds api-version=2018-08-31 to every call of the API (paths
// under /api/), unless the step sends its own or none.
func (microsoftDialect) prepare(req scenario.Request, out *outgoing) {
	if !strings.HasPrefix(out.path, "/api/") || out.query.Has("api-version") {
		return
	}
	switch req.APIVersion {
	case "":
		out.query.Set("api-version", apiVersion)
	case scenario.NoAPIVersion:
	default:
		out.query.Set("api-version", req.APIVersion)
	}
}

func (microsoftDialect) clockCapability() string { return scenario.CapabilityClock }

func formPost(path string, form url.Values) *outgoing {
	return &outgoing{method: "POST", path: path, query: url.Values{},
		header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte(form.Encode())}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
