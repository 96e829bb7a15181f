package entra

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// reservedTenants are the tenant aliases Entra accepts for user sign-in
// but not for client credentials, which need the tenant to issue in:
// AADSTS50059 ("No tenant-identifying information found in either the
// request or implied by any provided credentials"), as publishers who
// configure "common" meet it.
var reservedTenants = map[string]bool{"common": true, "organizations": true, "consumers": true}

// checkTenant resolves the tenant segment of a token path. Only tenant
// ids (GUIDs, any case) of registered apps are tenants here: the sandbox's
// tenants have no verified domains, so a domain is a tenant not found
// (AADSTS90002), and a segment that is neither a GUID nor a DNS name is
// AADSTS900023, as Entra answers both.
func (i *Issuer) checkTenant(segment string, metadata bool) (string, error) {
	notFound := CodeUnknownTenant
	if metadata {
		notFound = CodeUnknownTenantMetadata
	}
	switch {
	case isGUID(segment) && i.apps.hasTenant(segment):
		return normalizeID(segment), nil
	case isGUID(segment) || isDNSName(segment):
		return "", newError(notFound, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", segment)
	}
	return "", newError(CodeBadTenantName, "Specified tenant identifier '%s' is neither a valid DNS name, nor a valid external domain.", segment)
}

// isDNSName reports whether s looks like a domain name (a verified
// domain such as contoso.onmicrosoft.com).
func isDNSName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for k := 0; k < len(label); k++ {
			c := label[k]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// tokenRequest is a decoded client-credentials request.
type tokenRequest struct {
	version string
	tenant  string
	creds   credentials
}

// decode checks a token request in Entra's order: the tenant, then the
// request's own shape (grant, client id, resource or scope), then the
// client's identity and secret, and last the resource, so that an
// unauthenticated caller learns nothing about resources.
func (i *Issuer) decodeTokenRequest(r *http.Request, version string) (tokenRequest, error) {
	if reservedTenants[strings.ToLower(mux.Vars(r)["tenant"])] {
		return tokenRequest{}, newError(CodeNoTenant, "No tenant-identifying information found in either the request or implied by any provided credentials.")
	}
	tenant, err := i.checkTenant(mux.Vars(r)["tenant"], false)
	if err != nil {
		return tokenRequest{}, err
	}
	f, err := readForm(r, i.settings.MaxBodyBytes)
	if err != nil {
		return tokenRequest{}, err
	}
	switch grant := f["grant_type"]; grant {
	case "":
		return tokenRequest{}, missing("grant_type")
	case "client_credentials":
	default:
		return tokenRequest{}, newError(CodeUnsupportedGrant, "The app requested an unsupported grant type '%s'.", grant)
	}
	creds, err := readCredentials(r, f)
	if err != nil {
		return tokenRequest{}, err
	}
	if creds.id == "" {
		return tokenRequest{}, missing("client_id")
	}
	if err := checkTarget(f, version, tenant); err != nil {
		return tokenRequest{}, err
	}
	return tokenRequest{version: version, tenant: tenant, creds: creds}, nil
}

func missing(name string) error {
	return newError(CodeMissingParameter, "The request body must contain the following parameter: '%s'.", name)
}

// checkTarget checks what the token is for: v1 names a resource, v2 a
// scope. The accepted resource is the fulfillment API's app id, in any
// case. Its api:// form is refused like any unknown identifier: Microsoft
// documents only the bare app id for this API, and a publisher whose code
// works only against the sandbox would be worse off than one refused
// here.
func checkTarget(f form, version, tenant string) error {
	if version == version1 {
		res := f["resource"]
		switch {
		case res == "":
			return missing("resource")
		case normalizeID(res) != FulfillmentResource:
			return errResource(res, tenant)
		}
		return nil
	}
	if f["resource"] != "" {
		// Entra's v2 endpoint refuses the v1 parameter by name.
		return newError(CodeResourceOnV2, "The 'resource' request parameter is not supported. Use 'scope' with '%s/.default'.", FulfillmentResource)
	}
	if f["scope"] == "" {
		return missing("scope")
	}
	return checkScope(f["scope"], tenant)
}

// openIDScopes are the OpenID Connect scopes MSAL adds to every request
// (scope=<resource>/.default openid offline_access profile); Entra ignores
// them in a client-credentials grant.
var openIDScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// checkScope accepts exactly one <fulfillment app id>/.default among the
// scope's space-separated values, plus any OpenID scopes. Client
// credentials take only .default scopes; another resource's .default is
// AADSTS500011, anything else AADSTS70011.
func checkScope(scope, tenant string) error {
	found := 0
	for _, s := range strings.Fields(scope) {
		if openIDScopes[strings.ToLower(s)] {
			continue
		}
		res, ok := strings.CutSuffix(s, "/.default")
		switch {
		case !ok:
			return newError(CodeInvalidScope, "The provided value for the input parameter 'scope' is not valid. The scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", s)
		case normalizeID(res) != FulfillmentResource:
			return errResource(res, tenant)
		}
		found++
	}
	if found != 1 {
		return newError(CodeInvalidScope, "The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid: it must hold exactly one '%s/.default'.", scope, FulfillmentResource)
	}
	return nil
}

func errResource(resource, tenant string) error {
	return newError(CodeInvalidResource, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)
}

// authenticateClient finds the app in the request's tenant and checks its
// secret. An app registered in another tenant is not found here, as in
// Entra, where a single-tenant app exists in its own directory only.
func (i *Issuer) authenticateClient(req tokenRequest) (App, error) {
	app, ok := i.apps.app(req.creds.id)
	if !ok || app.TenantID != req.tenant {
		return App{}, newError(CodeUnknownApp, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", req.creds.id, req.tenant)
	}
	if req.creds.secret == "" {
		return App{}, newError(CodeMissingSecret, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	}
	if !secretMatches(app.ClientSecret, req.creds.secret) {
		return App{}, newError(CodeInvalidSecret, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ClientID)
	}
	return app, nil
}

// tokenV1 is the v1 endpoint's answer: every number a string, as Entra's
// v1 endpoint writes them (clients such as ADAL parse expires_in as one).
type tokenV1 struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
}

// tokenV2 is the v2 endpoint's answer, with numbers.
type tokenV2 struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// token answers POST /{tenant}/oauth2/token (v1) and
// /{tenant}/oauth2/v2.0/token (v2).
func (i *Issuer) token(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := i.decodeTokenRequest(r, version)
		if err != nil {
			i.writeError(w, r, err)
			return
		}
		app, err := i.authenticateClient(req)
		if err != nil {
			i.writeError(w, r, err)
			return
		}
		journal.Identify(w, app.PublisherID, app.ClientID)
		tok, err := i.issue(grant{app: app, version: version, base: requestBase(r)})
		if err != nil {
			i.writeError(w, r, err)
			return
		}
		_, _ = traceIDs(w, r) // x-ms-request-id and the client-request-id echo, as on errors
		secs := int64(tok.lifetime.Seconds())
		if version == version1 {
			writeJSON(w, http.StatusOK, tokenV1{
				TokenType: "Bearer", ExpiresIn: strconv.FormatInt(secs, 10), ExtExpiresIn: strconv.FormatInt(secs, 10),
				ExpiresOn: strconv.FormatInt(tok.expiresAt.Unix(), 10), NotBefore: strconv.FormatInt(tok.notBefore.Unix(), 10),
				Resource: FulfillmentResource, AccessToken: tok.token,
			})
			return
		}
		writeJSON(w, http.StatusOK, tokenV2{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: tok.token})
	}
}
