package entra

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
)

// tenantPlaceholder is what Entra's multi-tenant documents (common,
// organizations) put where a tenant id goes: the issuer of such a
// document is a template each token's tid fills in.
const tenantPlaceholder = "{tenantid}"

// metadataTenant resolves the tenant segment of a discovery or key path:
// a registered tenant, or a multi-tenant alias whose documents use the
// placeholder.
func (i *Issuer) metadataTenant(r *http.Request) (string, error) {
	segment := mux.Vars(r)["tenant"]
	if reservedTenants[strings.ToLower(segment)] {
		return tenantPlaceholder, nil
	}
	return i.checkTenant(segment, true)
}

// discoveryV2 is the v2 OpenID configuration, with the members Entra's
// has (from its published documents); the sandbox serves only the token
// and key endpoints it names, but stock clients (MSAL reads issuer,
// authorization_endpoint and token_endpoint) need the rest present.
type discoveryV2 struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// discoveryV1 is the v1 OpenID configuration (issuer with a trailing
// slash, jwks_uri on the common key set, as Entra's v1 document has).
type discoveryV1 struct {
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	ClaimsSupported                   []string `json:"claims_supported"`
	MicrosoftMultiRefreshToken        bool     `json:"microsoft_multi_refresh_token"`
	CheckSessionIframe                string   `json:"check_session_iframe"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

var (
	authMethods   = []string{"client_secret_post", "private_key_jwt", "client_secret_basic"}
	signingAlgs   = []string{"RS256"}
	claimsV2      = []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"}
	claimsV1      = []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"}
	responseModes = []string{"query", "fragment", "form_post"}
)

// hostName is the request's host without a port, for cloud_instance_name.
func hostName(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return r.Host
}

// discoveryV2 answers GET /{tenant}/v2.0/.well-known/openid-configuration.
func (i *Issuer) discoveryV2(w http.ResponseWriter, r *http.Request) {
	tenant, err := i.metadataTenant(r)
	if err != nil {
		i.writeError(w, r, err)
		return
	}
	base, t := requestBase(r), mux.Vars(r)["tenant"]
	if tenant != tenantPlaceholder {
		t = tenant
	}
	writeMetadata(w, discoveryV2{
		TokenEndpoint:                     base + "/" + t + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: authMethods,
		JWKSURI:                           base + "/" + t + "/discovery/v2.0/keys",
		ResponseModesSupported:            responseModes,
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  signingAlgs,
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            issuerV2(base, tenant),
		UserinfoEndpoint:                  "https://graph.microsoft.com/oidc/userinfo",
		AuthorizationEndpoint:             base + "/" + t + "/oauth2/v2.0/authorize",
		DeviceAuthorizationEndpoint:       base + "/" + t + "/oauth2/v2.0/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                base + "/" + t + "/oauth2/v2.0/logout",
		ClaimsSupported:                   claimsV2,
		TenantRegionScope:                 "NA",
		CloudInstanceName:                 hostName(r),
		CloudGraphHostName:                "graph.windows.net",
		MSGraphHost:                       "graph.microsoft.com",
		RBACURL:                           "https://pas.windows.net",
	})
}

// discoveryV1 answers GET /{tenant}/.well-known/openid-configuration.
func (i *Issuer) discoveryV1(w http.ResponseWriter, r *http.Request) {
	tenant, err := i.metadataTenant(r)
	if err != nil {
		i.writeError(w, r, err)
		return
	}
	base, t := requestBase(r), mux.Vars(r)["tenant"]
	if tenant != tenantPlaceholder {
		t = tenant
	}
	writeMetadata(w, discoveryV1{
		AuthorizationEndpoint:             base + "/" + t + "/oauth2/authorize",
		TokenEndpoint:                     base + "/" + t + "/oauth2/token",
		TokenEndpointAuthMethodsSupported: authMethods,
		JWKSURI:                           base + "/common/discovery/keys",
		ResponseModesSupported:            responseModes,
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  signingAlgs,
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                base + "/" + t + "/oauth2/logout",
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "token id_token", "token"},
		ScopesSupported:                   []string{"openid"},
		Issuer:                            issuerV1(base, tenant),
		ClaimsSupported:                   claimsV1,
		MicrosoftMultiRefreshToken:        true,
		CheckSessionIframe:                base + "/" + t + "/oauth2/checksession",
		UserinfoEndpoint:                  base + "/" + t + "/openid/userinfo",
		TenantRegionScope:                 "NA",
		CloudInstanceName:                 hostName(r),
		CloudGraphHostName:                "graph.windows.net",
		MSGraphHost:                       "graph.microsoft.com",
		RBACURL:                           "https://pas.windows.net",
	})
}

// keySet is a JWKS document.
type keySet struct {
	Keys []jwk `json:"keys"`
}

// keys answers the key sets: /{tenant}/discovery/v2.0/keys (each key with
// the tenant's v2 issuer, as Entra's v2 key set has) and
// /{tenant}/discovery/keys (v1, no issuer). common and organizations
// serve the same key.
func (i *Issuer) keys(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant, err := i.metadataTenant(r)
		if err != nil {
			i.writeError(w, r, err)
			return
		}
		issuer := ""
		if version == version2 {
			issuer = issuerV2(requestBase(r), tenant)
		}
		writeMetadata(w, keySet{Keys: []jwk{i.key.publicJWK(issuer)}})
	}
}

// instanceMetadata is MSAL's instance discovery answer: the tenant's
// discovery document and the host's aliases (one here).
type instanceMetadata struct {
	TenantDiscoveryEndpoint string          `json:"tenant_discovery_endpoint"`
	APIVersion              string          `json:"api-version"`
	Metadata                []instanceAlias `json:"metadata"`
}

type instanceAlias struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// instance answers GET /common/discovery/instance
// ?authorization_endpoint=<base>/<tenant>/oauth2/v2.0/authorize, MSAL's
// instance discovery, for clients that ask the authority host itself.
// MSAL Go (and so azidentity) asks Microsoft's global host about any host
// it does not know, so against the sandbox it needs
// DisableInstanceDiscovery (tested in azidentity_test.go).
func (i *Issuer) instance(w http.ResponseWriter, r *http.Request) {
	endpoint := r.URL.Query().Get("authorization_endpoint")
	if endpoint == "" {
		i.writeError(w, r, newError(CodeMissingParameter, "The request must contain the following parameter: 'authorization_endpoint'."))
		return
	}
	tenant := ""
	u, err := url.Parse(endpoint)
	if err == nil {
		tenant, _, _ = strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	}
	if err != nil || u.Host == "" || tenant == "" {
		i.writeError(w, r, newError(CodeInvalidParameter, "The value of 'authorization_endpoint' is not a valid authority URL: '%s'.", endpoint))
		return
	}
	host := r.Host
	writeMetadata(w, instanceMetadata{
		TenantDiscoveryEndpoint: requestBase(r) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata:                []instanceAlias{{PreferredNetwork: host, PreferredCache: host, Aliases: []string{host}}},
	})
}

// writeMetadata writes a discovery document or key set the way Entra
// does: cacheable for a day, readable from any origin.
func writeMetadata(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "max-age=86400, private")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
