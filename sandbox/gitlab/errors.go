package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// Code is one of the portal's error codes. The set is closed: every error
// the portal answers has one of these, and status maps each to its HTTP
// status. The OAuth codes are Doorkeeper's (RFC 6749 §5.2, RFC 6750 §3.1);
// the others are the sandbox's, since GitLab documents no API error body.
type Code string

// The portal's error codes.
const (
	CodeInvalidRequest       Code = "invalid_request"
	CodeUnsupportedGrantType Code = "unsupported_grant_type"
	CodeInvalidClient        Code = "invalid_client"
	CodeInvalidScope         Code = "invalid_scope"
	// CodeUnauthorizedClient is Doorkeeper's refusal to revoke a token
	// (403 there, 400 by RFC 6749 §5.2 in the strict profile).
	CodeUnauthorizedClient Code = "unauthorized_client"
	CodeInvalidToken       Code = "invalid_token"
	CodeUnauthorized       Code = "unauthorized"
	CodeInsufficientScope  Code = "insufficient_scope"
	CodeBadRequest         Code = "bad_request"
	CodeNotFound           Code = "not_found"
	CodeMethodNotAllowed   Code = "method_not_allowed"
	CodeDuplicate          Code = "duplicate_subscription"
	// CodeConflict is a control API resource (a script) whose id is taken.
	CodeConflict             Code = "conflict"
	CodePayloadTooLarge      Code = "payload_too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeValidationFailed     Code = "validation_failed"
	CodeInternal             Code = "internal_error"
	// The codes below are only answered by fault rules (package fault):
	// the errors a partner meets in front of the real portal, from its
	// rate limiter, load balancer or a deploy.
	CodeRequestTimeout     Code = "request_timeout"
	CodeRateLimited        Code = "rate_limited"
	CodeBadGateway         Code = "bad_gateway"
	CodeServiceUnavailable Code = "service_unavailable"
	CodeGatewayTimeout     Code = "gateway_timeout"
)

// statusOf is the one place that maps a code to an HTTP status.
var statusOf = map[Code]int{
	CodeInvalidRequest:       http.StatusBadRequest,
	CodeUnsupportedGrantType: http.StatusBadRequest,
	CodeInvalidClient:        http.StatusUnauthorized,
	CodeInvalidScope:         http.StatusBadRequest,
	CodeUnauthorizedClient:   http.StatusBadRequest,
	CodeInvalidToken:         http.StatusUnauthorized,
	CodeUnauthorized:         http.StatusUnauthorized,
	CodeInsufficientScope:    http.StatusForbidden,
	CodeBadRequest:           http.StatusBadRequest,
	CodeNotFound:             http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeDuplicate:            http.StatusConflict,
	CodeConflict:             http.StatusConflict,
	CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeValidationFailed:     http.StatusUnprocessableEntity,
	CodeInternal:             http.StatusInternalServerError,
	CodeRequestTimeout:       http.StatusRequestTimeout,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeBadGateway:           http.StatusBadGateway,
	CodeServiceUnavailable:   http.StatusServiceUnavailable,
	CodeGatewayTimeout:       http.StatusGatewayTimeout,
}

// Codes lists every error code, for tests and documentation.
func Codes() []Code {
	out := make([]Code, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	return out
}

// Status is the HTTP status the portal answers with for c.
func (c Code) Status() int { return statusOf[c] }

// Error is a portal error value. Header carries headers that belong to the
// error (WWW-Authenticate, Allow, Retry-After).
type Error struct {
	Code        Code
	Description string
	Fields      []openapi.FieldError
	Header      http.Header
	// Status, when set, replaces the code's status: Doorkeeper answers
	// unauthorized_client with 403 on revoke, where RFC 6749 says 400.
	Status int
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Description }

func newError(code Code, description string) *Error {
	return &Error{Code: code, Description: description}
}

// errorBody is the portal's error envelope: Doorkeeper's {error,
// error_description}, plus the field list of a validation failure and the
// request id.
type errorBody struct {
	Error       Code                 `json:"error"`
	Description string               `json:"error_description"`
	Errors      []openapi.FieldError `json:"errors,omitempty"`
	RequestID   string               `json:"request_id,omitempty"`
}

// writeError renders err in the portal's envelope. Anything that is not an
// *Error is a bug: it is logged in full and answered as a bare 500.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		log.ErrorContext(r.Context(), "unexpected error", "err", err, "path", r.URL.Path, "request_id", requestid.From(r.Context()))
		e = newError(CodeInternal, "The server encountered an unexpected condition.")
	}
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Cache-Control", "no-store")
	status := e.Code.Status()
	if e.Status != 0 {
		status = e.Status
	}
	writeJSON(w, status, errorBody{
		Error:       e.Code,
		Description: e.Description,
		Errors:      capFields(e.Fields),
		RequestID:   requestid.From(r.Context()),
	})
}

// maxListedFields caps the field list of one error answer; the rest are
// counted in a last entry ("and N more"), so a body with thousands of
// mistakes does not get a megabyte of answer.
const maxListedFields = 50

func capFields(fields []openapi.FieldError) []openapi.FieldError {
	if len(fields) <= maxListedFields {
		return fields
	}
	out := append([]openapi.FieldError(nil), fields[:maxListedFields]...)
	return append(out, openapi.FieldError{Field: "errors", Message: fmt.Sprintf("and %d more problems not listed", len(fields)-maxListedFields)})
}

// writeJSON is the one adapter that writes a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal_error","error_description":"The response could not be encoded."}`)
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// body may be a stored replay shared between requests: never append to it.
	_, _ = w.Write(body)
	_, _ = w.Write(newline)
}

var newline = []byte("\n")
