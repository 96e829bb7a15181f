package microsoft

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// Code is one of the fulfillment API's error codes. The set is closed:
// every error the API answers has one, and statusOf maps each to its HTTP
// status. The names are the live service's where docs/microsoft.md §4 and
// §9 record them (BadRequest, EntityNotFound, HeaderNotPresent, Failed,
// ApiVersionUnspecified, UnsupportedApiVersion); the others are ours.
type Code string

// The fulfillment API's error codes.
const (
	CodeBadRequest Code = "BadRequest"
	// CodeBadArgument is the metering service's 400 (docs/microsoft.md §10).
	CodeBadArgument           Code = "BadArgument"
	CodeAPIVersionUnspecified Code = "ApiVersionUnspecified"
	CodeUnsupportedAPIVersion Code = "UnsupportedApiVersion"
	CodeHeaderNotPresent      Code = "HeaderNotPresent"
	// CodeLockedFailed is the observed profile's 400 for a change while
	// an operation is pending (docs/microsoft.md §9).
	CodeLockedFailed Code = "Failed"
	// CodeEntityNotFoundBadRequest is the observed profile's 400 for an
	// unknown subscription or operation on the operation routes.
	CodeEntityNotFoundBadRequest Code = "EntityNotFoundBadRequest"
	CodeForbidden                Code = "Forbidden"
	CodeEntityNotFound           Code = "EntityNotFound"
	CodeNotFound                 Code = "NotFound"
	CodeMethodNotAllowed         Code = "MethodNotAllowed"
	CodeConflict                 Code = "Conflict"
	CodeInternal                 Code = "InternalServerError"
	// The codes below are only answered by fault rules: what a publisher
	// meets in front of the real service (throttling, gateways, deploys).
	CodeRequestTimeout     Code = "RequestTimeout"
	CodeTooManyRequests    Code = "TooManyRequests"
	CodeBadGateway         Code = "BadGateway"
	CodeServiceUnavailable Code = "ServiceUnavailable"
	CodeGatewayTimeout     Code = "GatewayTimeout"
)

// statusOf is the one place that maps a code to an HTTP status.
var statusOf = map[Code]int{
	CodeBadRequest:               http.StatusBadRequest,
	CodeBadArgument:              http.StatusBadRequest,
	CodeAPIVersionUnspecified:    http.StatusBadRequest,
	CodeUnsupportedAPIVersion:    http.StatusBadRequest,
	CodeHeaderNotPresent:         http.StatusBadRequest,
	CodeLockedFailed:             http.StatusBadRequest,
	CodeEntityNotFoundBadRequest: http.StatusBadRequest,
	CodeForbidden:                http.StatusForbidden,
	CodeEntityNotFound:           http.StatusNotFound,
	CodeNotFound:                 http.StatusNotFound,
	CodeMethodNotAllowed:         http.StatusMethodNotAllowed,
	CodeConflict:                 http.StatusConflict,
	CodeInternal:                 http.StatusInternalServerError,
	CodeRequestTimeout:           http.StatusRequestTimeout,
	CodeTooManyRequests:          http.StatusTooManyRequests,
	CodeBadGateway:               http.StatusBadGateway,
	CodeServiceUnavailable:       http.StatusServiceUnavailable,
	CodeGatewayTimeout:           http.StatusGatewayTimeout,
}

// wireCode is the code as the body shows it, where it differs from the
// Code's name (the observed 400 for an unknown entity says EntityNotFound).
var wireCode = map[Code]string{CodeEntityNotFoundBadRequest: string(CodeEntityNotFound)}

// codeOfStatus is the code a fault rule's injected status is answered with.
var codeOfStatus = map[int]Code{
	http.StatusBadRequest:          CodeBadRequest,
	http.StatusForbidden:           CodeForbidden,
	http.StatusNotFound:            CodeNotFound,
	http.StatusConflict:            CodeConflict,
	http.StatusRequestTimeout:      CodeRequestTimeout,
	http.StatusTooManyRequests:     CodeTooManyRequests,
	http.StatusInternalServerError: CodeInternal,
	http.StatusBadGateway:          CodeBadGateway,
	http.StatusServiceUnavailable:  CodeServiceUnavailable,
	http.StatusGatewayTimeout:      CodeGatewayTimeout,
}

// Codes lists every error code, for tests and documentation.
func Codes() []Code {
	out := make([]Code, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	return out
}

// Status is the HTTP status the API answers c with.
func (c Code) Status() int { return statusOf[c] }

// Error is a fulfillment API error value: the envelope's fields, and
// headers that belong to the error (Allow).
type Error struct {
	Code    Code
	Message string
	Target  string
	Details []ErrorDetail
	Header  http.Header
	// Status, when set, replaces the code's status (an injected fault
	// with a status no code has).
	Status int
}

// ErrorDetail is one entry of the envelope's details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// Error is the code and the message, for logs.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func newError(code Code, target, message string) *Error {
	return &Error{Code: code, Target: target, Message: message}
}

// errorBody is the fulfillment API's error envelope (docs/microsoft.md §1).
type errorBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target"`
	Details []ErrorDetail `json:"details"`
}

// writeError renders err in the envelope. Anything that is not an *Error
// is a bug: it is logged and answered as a bare 500 without internals.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		log.ErrorContext(r.Context(), "unexpected error", "err", err, "path", r.URL.Path, "request_id", requestid.From(r.Context()))
		e = newError(CodeInternal, "", "The server encountered an unexpected condition.")
	}
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	code := string(e.Code)
	if c, ok := wireCode[e.Code]; ok {
		code = c
	}
	details := e.Details
	if details == nil {
		details = []ErrorDetail{}
	}
	status := e.Code.Status()
	if e.Status != 0 {
		status = e.Status
	}
	writeJSON(w, status, errorBody{Code: code, Message: e.Message, Target: e.Target, Details: details})
}

// writeJSON is the one adapter that writes a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"InternalServerError","message":"The response could not be encoded.","target":"","details":[]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
