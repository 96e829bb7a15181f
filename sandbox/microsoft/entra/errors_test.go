package entra

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// errorCase is one bad request and Entra's answer to it.
type errorCase struct {
	name     string
	method   string // POST when empty
	path     string
	form     url.Values
	body     string // raw body instead of form
	ctype    string
	code     Code
	oauth    string
	status   int
	contains string // in error_description
}

func without(f url.Values, keys ...string) url.Values {
	for _, k := range keys {
		f.Del(k)
	}
	return f
}

func with(f url.Values, kv ...string) url.Values {
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

const (
	v1Path = "/" + tenantA + "/oauth2/token"
	v2Path = "/" + tenantA + "/oauth2/v2.0/token"
)

var errorCases = []errorCase{
	{name: "missing grant_type", path: v2Path, form: without(v2Form(), "grant_type"), code: CodeMissingParameter, oauth: "invalid_request", status: 400, contains: "parameter: 'grant_type'"},
	{name: "JSON body carries no parameters", path: v2Path, body: `{"grant_type":"client_credentials"}`, ctype: "application/json", code: CodeMissingParameter, oauth: "invalid_request", status: 400, contains: "'grant_type'"},
	{name: "missing client_id", path: v2Path, form: without(v2Form(), "client_id"), code: CodeMissingParameter, oauth: "invalid_request", status: 400, contains: "'client_id'"},
	{name: "missing resource (v1)", path: v1Path, form: without(v1Form(), "resource"), code: CodeMissingParameter, oauth: "invalid_request", status: 400, contains: "'resource'"},
	{name: "missing scope (v2)", path: v2Path, form: without(v2Form(), "scope"), code: CodeMissingParameter, oauth: "invalid_request", status: 400, contains: "'scope'"},
	{name: "missing client_secret", path: v2Path, form: without(v2Form(), "client_secret"), code: CodeMissingSecret, oauth: "invalid_client", status: 401, contains: "'client_credentials' grant type"},
	{name: "wrong secret", path: v2Path, form: with(v2Form(), "client_secret", "wrong"), code: CodeInvalidSecret, oauth: "invalid_client", status: 401, contains: "Invalid client secret provided"},
	{name: "another app's secret", path: v1Path, form: with(v1Form(), "client_secret", secretB), code: CodeInvalidSecret, oauth: "invalid_client", status: 401, contains: appA},
	{name: "unknown app", path: v2Path, form: with(v2Form(), "client_id", "00000000-0000-4000-8000-000000000000"), code: CodeUnknownApp, oauth: "unauthorized_client", status: 400, contains: "was not found in the directory '" + tenantA + "'"},
	{name: "app registered in another tenant", path: v2Path, form: with(v2Form(), "client_id", appB, "client_secret", secretB), code: CodeUnknownApp, oauth: "unauthorized_client", status: 400, contains: appB},
	{name: "unknown tenant id", path: "/12345678-1234-4234-8234-123456789012/oauth2/v2.0/token", form: v2Form(), code: CodeUnknownTenant, oauth: "invalid_request", status: 400, contains: "Tenant '12345678-1234-4234-8234-123456789012' not found"},
	{name: "a domain is not a sandbox tenant", path: "/contoso.onmicrosoft.com/oauth2/token", form: v1Form(), code: CodeUnknownTenant, oauth: "invalid_request", status: 400, contains: "contoso.onmicrosoft.com"},
	{name: "malformed tenant", path: "/not_a_tenant/oauth2/v2.0/token", form: v2Form(), code: CodeBadTenantName, oauth: "invalid_request", status: 400, contains: "neither a valid DNS name"},
	{name: "common with client credentials", path: "/common/oauth2/v2.0/token", form: v2Form(), code: CodeNoTenant, oauth: "invalid_request", status: 400, contains: "No tenant-identifying information"},
	{name: "organizations with client credentials", path: "/organizations/oauth2/token", form: v1Form(), code: CodeNoTenant, oauth: "invalid_request", status: 400},
	{name: "unsupported grant", path: v2Path, form: with(v2Form(), "grant_type", "password"), code: CodeUnsupportedGrant, oauth: "unsupported_grant_type", status: 400, contains: "unsupported grant type 'password'"},
	{name: "v1 resource of another API", path: v1Path, form: with(v1Form(), "resource", "https://graph.microsoft.com"), code: CodeInvalidResource, oauth: "invalid_resource", status: 400, contains: "resource principal named https://graph.microsoft.com"},
	{name: "v1 resource as api:// URI", path: v1Path, form: with(v1Form(), "resource", "api://"+FulfillmentResource), code: CodeInvalidResource, oauth: "invalid_resource", status: 400},
	{name: "v2 scope of another API", path: v2Path, form: with(v2Form(), "scope", "https://graph.microsoft.com/.default openid"), code: CodeInvalidResource, oauth: "invalid_resource", status: 400},
	{name: "v2 scope without .default", path: v2Path, form: with(v2Form(), "scope", FulfillmentResource+"/user_impersonation"), code: CodeInvalidScope, oauth: "invalid_scope", status: 400, contains: "/.default"},
	{name: "v2 scope of OpenID extras only", path: v2Path, form: with(v2Form(), "scope", "openid profile offline_access"), code: CodeInvalidScope, oauth: "invalid_scope", status: 400},
	{name: "v2 scope with .default twice", path: v2Path, form: with(v2Form(), "scope", FulfillmentResource+"/.default "+FulfillmentResource+"/.default"), code: CodeInvalidScope, oauth: "invalid_scope", status: 400},
	{name: "v2 given the v1 resource", path: v2Path, form: with(v2Form(), "resource", FulfillmentResource), code: CodeResourceOnV2, oauth: "invalid_request", status: 400, contains: "'resource' request parameter is not supported"},
	{name: "repeated parameter", path: v2Path, body: v2Form().Encode() + "&client_id=" + appA, ctype: "application/x-www-form-urlencoded", code: CodeInvalidParameter, oauth: "invalid_request", status: 400, contains: "'client_id' is given more than once"},
	{name: "bad escape", path: v2Path, body: "grant_type=client%ZZcredentials", ctype: "application/x-www-form-urlencoded", code: CodeInvalidParameter, oauth: "invalid_request", status: 400},
	{name: "oversized body", path: v2Path, body: "grant_type=client_credentials&pad=" + strings.Repeat("x", 70<<10), ctype: "application/x-www-form-urlencoded", code: CodeBodyTooLarge, oauth: "invalid_request", status: 413},
	{name: "GET on the token endpoint", method: http.MethodGet, path: v2Path, code: CodeMethodNotAllowed, oauth: "invalid_request", status: 405, contains: "only accepts POST"},
	{name: "unknown Entra path", method: http.MethodGet, path: "/" + tenantA + "/oauth2/v2.0/authorize", code: CodeNotFound, oauth: "invalid_request", status: 404},
	{name: "discovery of an unknown tenant", method: http.MethodGet, path: "/12345678-1234-4234-8234-123456789012/v2.0/.well-known/openid-configuration", code: CodeUnknownTenantMetadata, oauth: "invalid_tenant", status: 400},
	{name: "v1 discovery of a domain", method: http.MethodGet, path: "/contoso.com/.well-known/openid-configuration", code: CodeUnknownTenantMetadata, oauth: "invalid_tenant", status: 400, contains: "Tenant 'contoso.com' not found"},
	{name: "keys of a malformed tenant", method: http.MethodGet, path: "/bad!tenant/discovery/v2.0/keys", code: CodeBadTenantName, oauth: "invalid_request", status: 400},
}

var traceLines = regexp.MustCompile(`\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

// Every bad request is answered in Entra's envelope with its status,
// error, AADSTS number and text.
func TestErrors(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			body, ctype := tc.body, tc.ctype
			if tc.form != nil {
				body, ctype = tc.form.Encode(), "application/x-www-form-urlencoded"
			}
			req := httptest.NewRequest(method, e.srv.URL+tc.path, strings.NewReader(body))
			req.RequestURI = ""
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			a := e.do(req)
			checkEnvelope(t, a, tc.code, tc.status)
			if a.body["error"] != tc.oauth {
				t.Errorf("error %v, want %s", a.body["error"], tc.oauth)
			}
			if !strings.Contains(a.body["error_description"].(string), tc.contains) {
				t.Errorf("error_description %q lacks %q", a.body["error_description"], tc.contains)
			}
		})
	}
}

// checkEnvelope checks Entra's error envelope of a: status, error_codes,
// the AADSTS prefix, the trace lines and the ids they repeat.
func checkEnvelope(t *testing.T, a answer, code Code, status int) {
	t.Helper()
	info := codeTable[code]
	if a.status != status || info.status != status && code != CodeFault {
		t.Fatalf("status %d (table %d), want %d: %s", a.status, info.status, status, a.raw)
	}
	codes, _ := a.body["error_codes"].([]any)
	if len(codes) != 1 || codes[0] != float64(info.number) {
		t.Errorf("error_codes %v, want [%d]", a.body["error_codes"], info.number)
	}
	desc, _ := a.body["error_description"].(string)
	if !strings.HasPrefix(desc, "AADSTS"+strconv.Itoa(info.number)+": ") || !traceLines.MatchString(desc) {
		t.Errorf("error_description %q", desc)
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
		if v, _ := a.body[k].(string); v == "" || !strings.Contains(desc, v) && k != "error_uri" {
			t.Errorf("%s = %v, want it set and repeated in the description", k, a.body[k])
		}
	}
	if a.header.Get("x-ms-request-id") != a.body["trace_id"] {
		t.Errorf("x-ms-request-id %q, trace_id %v", a.header.Get("x-ms-request-id"), a.body["trace_id"])
	}
}

// Every code of the table is reached by some case above or by the fault
// and unexpected-error paths below, and each maps to a 4xx or 5xx.
func TestEveryCodeIsWalked(t *testing.T) {
	walked := map[Code]bool{CodeFault: true}
	for _, tc := range errorCases {
		walked[tc.code] = true
	}
	for _, c := range Codes() {
		if !walked[c] {
			t.Errorf("code %s has no test case", c)
		}
		if s := codeTable[c].status; s < 400 || s > 599 {
			t.Errorf("code %s has status %d", c, s)
		}
	}
}

// A fault rule's injected error keeps the envelope and takes the rule's
// status; an unexpected error is a 500 without internals.
func TestWriteFaultAndUnexpected(t *testing.T) {
	e := newEnv(t, nil)
	w := httptest.NewRecorder()
	e.issuer.WriteFault(w, httptest.NewRequest(http.MethodPost, v2Path, nil), http.StatusTooManyRequests, "Slow down.")
	a := recorded(t, w)
	checkEnvelope(t, a, CodeFault, http.StatusTooManyRequests)
	if !strings.HasPrefix(a.body["error_description"].(string), "AADSTS90033: Slow down.") {
		t.Errorf("description %q", a.body["error_description"])
	}
	w = httptest.NewRecorder()
	e.issuer.writeError(w, httptest.NewRequest(http.MethodPost, v2Path, nil), errSecretInternal)
	a = recorded(t, w)
	if a.status != 500 || strings.Contains(a.raw, "internal detail") {
		t.Errorf("unexpected error answered %d %s", a.status, a.raw)
	}
}

var errSecretInternal = &notAnEntraError{}

type notAnEntraError struct{}

func (*notAnEntraError) Error() string { return "internal detail" }

// The correlation id echoes MSAL's client-request-id when it is a GUID;
// otherwise Entra makes its own.
func TestCorrelationID(t *testing.T) {
	e := newEnv(t, nil)
	const id = "9d2bd9b8-0a3c-4f5e-9b6a-1c2d3e4f5a6b"
	a := e.postForm(v2Path, without(v2Form(), "grant_type"), map[string]string{"client-request-id": id})
	if a.body["correlation_id"] != id || a.header.Get("client-request-id") != id {
		t.Errorf("correlation_id %v, header %q", a.body["correlation_id"], a.header.Get("client-request-id"))
	}
	a = e.postForm(v2Path, without(v2Form(), "grant_type"), map[string]string{"client-request-id": "not-a-guid"})
	if a.body["correlation_id"] == "not-a-guid" || a.header.Get("client-request-id") != "" {
		t.Errorf("a non-GUID client-request-id was echoed: %v", a.body["correlation_id"])
	}
}

// recorded decodes what an httptest recorder holds.
func recorded(t *testing.T, w *httptest.ResponseRecorder) answer {
	t.Helper()
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if err := json.Unmarshal(w.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("body is not JSON: %q", w.Body.String())
	}
	return a
}
