package entra

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Code is one of the closed set of errors the Entra endpoints answer. Each
// has one HTTP status, one OAuth error value and one AADSTS number, set in
// codeTable; Entra's wire facts come from its public error-code reference
// (login.microsoftonline.com/error and the reference-error-codes page of
// Microsoft's identity-platform docs) and from error bodies that
// developers have posted in public issue trackers.
type Code string

// The codes of the token, discovery and key endpoints.
const (
	// CodeMissingParameter: a required parameter (grant_type, client_id,
	// resource, scope) is absent or empty: AADSTS900144, 400.
	CodeMissingParameter Code = "missing_parameter"
	// CodeMissingSecret: client credentials without a secret or assertion:
	// AADSTS7000216, 401 invalid_client.
	CodeMissingSecret Code = "missing_secret"
	// CodeInvalidSecret: the secret does not match: AADSTS7000215, 401.
	CodeInvalidSecret Code = "invalid_secret"
	// CodeUnknownApp: no app with this client id in the tenant (unknown
	// anywhere, or registered in another tenant): AADSTS700016, 400.
	CodeUnknownApp Code = "unknown_app"
	// CodeUnknownTenant: the tenant of the path does not exist: AADSTS90002,
	// 400 invalid_request on the token endpoints.
	CodeUnknownTenant Code = "unknown_tenant"
	// CodeUnknownTenantMetadata: the same on the discovery and key
	// endpoints, which Entra answers with error invalid_tenant.
	CodeUnknownTenantMetadata Code = "unknown_tenant_metadata"
	// CodeBadTenantName: the tenant segment is neither a GUID nor a DNS
	// name: AADSTS900023, 400.
	CodeBadTenantName Code = "bad_tenant_name"
	// CodeNoTenant: common, organizations or consumers on a token endpoint:
	// client credentials need a tenant (AADSTS50059), 400.
	CodeNoTenant Code = "no_tenant"
	// CodeUnsupportedGrant: a grant_type other than client_credentials:
	// AADSTS70003, 400.
	CodeUnsupportedGrant Code = "unsupported_grant"
	// CodeInvalidResource: v1 resource or v2 scope for another resource:
	// AADSTS500011, 400.
	CodeInvalidResource Code = "invalid_resource"
	// CodeInvalidScope: a v2 scope that is not <resource>/.default (plus
	// the OpenID extras): AADSTS70011, 400.
	CodeInvalidScope Code = "invalid_scope"
	// CodeInvalidParameter: a parameter given twice, credentials that
	// disagree, a body that cannot be decoded: AADSTS90100, 400.
	CodeInvalidParameter Code = "invalid_parameter"
	// CodeResourceOnV2: the v1 parameter resource sent to the v2 endpoint:
	// AADSTS901002, 400.
	CodeResourceOnV2 Code = "resource_on_v2"
	// CodeBodyTooLarge: a body over entra.max_body_bytes: 413 (a sandbox
	// decision; Entra's front door refuses huge bodies without an AADSTS
	// text anyone has published), numbered AADSTS90015 like Entra's
	// too-long query string.
	CodeBodyTooLarge Code = "body_too_large"
	// CodeMethodNotAllowed: a verb the endpoint does not serve. Entra
	// answers AADSTS900561 ("only accepts POST, OPTIONS") with 400; the
	// sandbox says the same with 405 and an Allow header, as the issue
	// decided for every route.
	CodeMethodNotAllowed Code = "method_not_allowed"
	// CodeNotFound: an Entra-shaped path the sandbox does not serve
	// (Entra answers an HTML page; the sandbox keeps its envelope and
	// borrows AADSTS90056, Entra's "wrong endpoint" error), 404.
	CodeNotFound Code = "not_found"
	// CodeFault: an error injected by a fault rule; its status is the
	// rule's, its number AADSTS90033 (Entra's "a transient error has
	// occurred, try again").
	CodeFault Code = "fault"
)

// codeInfo is how one code goes on the wire.
type codeInfo struct {
	status int
	oauth  string // the "error" member
	number int    // the AADSTS number, also error_codes[0]
}

var codeTable = map[Code]codeInfo{
	CodeMissingParameter:      {http.StatusBadRequest, "invalid_request", 900144},
	CodeMissingSecret:         {http.StatusUnauthorized, "invalid_client", 7000216},
	CodeInvalidSecret:         {http.StatusUnauthorized, "invalid_client", 7000215},
	CodeUnknownApp:            {http.StatusBadRequest, "unauthorized_client", 700016},
	CodeUnknownTenant:         {http.StatusBadRequest, "invalid_request", 90002},
	CodeUnknownTenantMetadata: {http.StatusBadRequest, "invalid_tenant", 90002},
	CodeBadTenantName:         {http.StatusBadRequest, "invalid_request", 900023},
	CodeNoTenant:              {http.StatusBadRequest, "invalid_request", 50059},
	CodeUnsupportedGrant:      {http.StatusBadRequest, "unsupported_grant_type", 70003},
	CodeInvalidResource:       {http.StatusBadRequest, "invalid_resource", 500011},
	CodeInvalidScope:          {http.StatusBadRequest, "invalid_scope", 70011},
	CodeInvalidParameter:      {http.StatusBadRequest, "invalid_request", 90100},
	CodeResourceOnV2:          {http.StatusBadRequest, "invalid_request", 901002},
	CodeBodyTooLarge:          {http.StatusRequestEntityTooLarge, "invalid_request", 90015},
	CodeMethodNotAllowed:      {http.StatusMethodNotAllowed, "invalid_request", 900561},
	CodeNotFound:              {http.StatusNotFound, "invalid_request", 90056},
	CodeFault:                 {http.StatusServiceUnavailable, "temporarily_unavailable", 90033},
}

// Codes lists every code, for tests that walk them all.
func Codes() []Code {
	out := make([]Code, 0, len(codeTable))
	for c := range codeTable {
		out = append(out, c)
	}
	return out
}

// Error is an Entra error: a code and the text after "AADSTSnnnn: ".
type Error struct {
	Code    Code
	Message string
	// status overrides the code's status (injected faults only).
	status int
}

func (e *Error) Error() string {
	return fmt.Sprintf("AADSTS%d: %s", codeTable[e.Code].number, e.Message)
}

// Status is the HTTP status the error is answered with.
func (e *Error) Status() int {
	if e.status != 0 {
		return e.status
	}
	return codeTable[e.Code].status
}

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorBody is Entra's token error envelope. error_codes holds the AADSTS
// number; timestamp, trace_id and correlation_id repeat the lines that end
// error_description.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// entraTimestamp is how Entra writes times in error bodies: "2024-12-03
// 13:51:30Z".
const entraTimestamp = "2006-01-02 15:04:05Z"

// writeError answers err in Entra's envelope: any error that is not an
// *Error is a bug, logged and answered as a fault without internals.
func (i *Issuer) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		i.logger.Error("entra: unexpected error", "path", r.URL.Path, "err", err)
		e = &Error{Code: CodeFault, Message: "The service encountered an unexpected error.", status: http.StatusInternalServerError}
	}
	info := codeTable[e.Code]
	trace, correlation := traceIDs(w, r)
	stamp := i.clock.Now().Format(entraTimestamp)
	body := errorBody{
		Error: info.oauth,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			info.number, e.Message, trace, correlation, stamp),
		ErrorCodes:    []int{info.number},
		Timestamp:     stamp,
		TraceID:       trace,
		CorrelationID: correlation,
		// Entra links every error to its public explanation page.
		ErrorURI: "https://login.microsoftonline.com/error?code=" + strconv.Itoa(info.number),
	}
	writeJSON(w, e.Status(), body)
}

// traceIDs picks the trace id (fresh per answer, as Entra's is, and sent
// as x-ms-request-id) and the correlation id: MSAL sends a GUID in
// client-request-id, which Entra echoes as correlation_id and in the
// client-request-id response header; without one Entra makes its own.
func traceIDs(w http.ResponseWriter, r *http.Request) (trace, correlation string) {
	if trace = w.Header().Get("x-ms-request-id"); trace == "" {
		trace = newGUID()
		w.Header().Set("x-ms-request-id", trace)
	}
	if c := r.Header.Get("client-request-id"); isGUID(c) {
		w.Header().Set("client-request-id", c)
		return trace, strings.ToLower(c)
	}
	return trace, newGUID()
}

// writeJSON writes v with the no-cache headers Entra puts on every token
// and error answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NotFound answers an Entra-shaped path the sandbox does not serve, in
// Entra's envelope; the marketplace calls it for paths IsTokenPath claims.
func (i *Issuer) NotFound(w http.ResponseWriter, r *http.Request) {
	i.writeError(w, r, newError(CodeNotFound, "The requested endpoint '%s' is not served by this sandbox's Entra ID.", r.URL.Path))
}

// MethodNotAllowed answers a verb an Entra endpoint does not serve (the
// caller sets Allow), in Entra's envelope.
func (i *Issuer) MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	i.writeError(w, r, newError(CodeMethodNotAllowed, "The endpoint only accepts %s requests. Received a %s request.",
		strings.Join(allow, ", "), r.Method))
}

// WriteFault answers an error injected by a fault rule, in Entra's
// envelope, with the rule's status and message.
func (i *Issuer) WriteFault(w http.ResponseWriter, r *http.Request, status int, message string) {
	if message == "" {
		message = http.StatusText(status)
	}
	i.writeError(w, r, &Error{Code: CodeFault, Message: message, status: status})
}

// newGUID is a random (version 4) GUID in Entra's lower-case form.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (either
// case), the form Entra accepts for tenant ids and client-request-id.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch k {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
