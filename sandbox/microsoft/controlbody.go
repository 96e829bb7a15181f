package microsoft

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// FieldProblem is one bad field of a control API body.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// controlError is a control API error, in the sandbox's control envelope
// (the one package sandbox answers: error, error_description, errors,
// request_id), so one client parses every /_sandbox answer.
type controlError struct {
	status      int
	code        string
	description string
	fields      []FieldProblem
}

// Error is the description.
func (e *controlError) Error() string { return e.description }

type controlErrorBody struct {
	Error       string         `json:"error"`
	Description string         `json:"error_description"`
	Errors      []FieldProblem `json:"errors,omitempty"`
	RequestID   string         `json:"request_id"`
}

func controlBad(format string, args ...any) error {
	return &controlError{status: http.StatusBadRequest, code: "invalid_request", description: fmt.Sprintf(format, args...)}
}

func controlNotFound(format string, args ...any) error {
	return &controlError{status: http.StatusNotFound, code: "not_found", description: fmt.Sprintf(format, args...)}
}

func controlConflict(format string, args ...any) error {
	return &controlError{status: http.StatusConflict, code: "conflict", description: fmt.Sprintf(format, args...)}
}

// controlInvalid is the 422 listing every bad field, the first problem
// of each field only (a field of the wrong type is not also "required").
func controlInvalid(fields []FieldProblem) error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	var out []FieldProblem
	for i, f := range fields {
		if i == 0 || f.Field != fields[i-1].Field {
			out = append(out, f)
		}
	}
	return &controlError{status: http.StatusUnprocessableEntity, code: "validation_failed", description: "The body has invalid fields; see errors.", fields: out}
}

// answer is a control answer with a status other than 200.
type answer struct {
	status int
	body   any
}

// control adapts a control handler that returns a value or an error.
func (m *Marketplace) control(h func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.sweep()
		v, err := h(r)
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			ce, ok := err.(*controlError)
			if !ok {
				m.log.ErrorContext(r.Context(), "control API error", "err", err)
				ce = &controlError{status: http.StatusInternalServerError, code: "internal_error", description: "The server encountered an unexpected condition."}
			}
			writeJSON(w, ce.status, controlErrorBody{Error: ce.code, Description: ce.description, Errors: ce.fields, RequestID: requestid.From(r.Context())})
			return
		}
		if a, ok := v.(answer); ok {
			writeJSON(w, a.status, a.body)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// bodyFields reads a control body as one JSON object, strictly (a
// repeated key, invalid UTF-8 or trailing data is 400), and hands each
// field to its setter; unknown fields and the setters' complaints are
// all listed in one 422.
func (m *Marketplace) bodyFields(r *http.Request, setters map[string]func(json.RawMessage) error) error {
	problems, err := m.readFields(r, setters)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return controlInvalid(problems)
	}
	return nil
}

// readFields is bodyFields that returns the field problems for the
// caller to add its own to.
func (m *Marketplace) readFields(r *http.Request, setters map[string]func(json.RawMessage) error) ([]FieldProblem, error) {
	if header := r.Header.Get("Content-Type"); !strictjson.AcceptableMediaType(header) {
		return nil, &controlError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", description: fmt.Sprintf("Send the body as application/json (UTF-8), not %s.", strconv.Quote(header))}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, m.settings.MaxBodyBytes+1))
	if err != nil || int64(len(body)) > m.settings.MaxBodyBytes {
		return nil, controlBad("The body could not be read or is larger than %d bytes.", m.settings.MaxBodyBytes)
	}
	if err := strictjson.Check(body); err != nil {
		return nil, controlBad("The body is not valid JSON: %v.", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, controlBad("The body must be a JSON object.")
	}
	var problems []FieldProblem
	for name, raw := range obj {
		set, known := setters[name]
		if !known {
			problems = append(problems, FieldProblem{Field: name, Message: "unknown field"})
			continue
		}
		if string(raw) == "null" {
			continue
		}
		if err := set(raw); err != nil {
			problems = append(problems, FieldProblem{Field: name, Message: err.Error()})
		}
	}
	return problems, nil
}

// Setters for bodyFields.
func setString(dst **string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("must be a string")
		}
		*dst = &s
		return nil
	}
}

// setInt takes a whole number (quantity.go's wholeNumber), clamped so
// that a huge one reaches the caller's range check, which refuses it as
// out of range rather than as not a whole number.
func setInt(dst **int) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		n, ok := wholeNumber(raw)
		if !ok {
			return fmt.Errorf("must be a whole number")
		}
		v := clampInt(n)
		*dst = &v
		return nil
	}
}

func setBool(dst **bool) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("must be true or false")
		}
		*dst = &b
		return nil
	}
}

// noQuery refuses query parameters on a control route that takes none.
func noQuery(r *http.Request, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	q := r.URL.Query()
	for name, values := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			return nil, controlBad("Unknown query parameter %q.", name)
		}
		if len(values) > 1 {
			return nil, controlBad("Query parameter %q is given %d times; give it once.", name, len(values))
		}
		out[name] = values[0]
	}
	return out, nil
}
