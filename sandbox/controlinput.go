package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// maxListedProblems caps the field list of one error answer; the rest are
// counted in a last entry, so a body with ten thousand mistakes does not
// get a megabyte of answer.
const maxListedProblems = 50

// capProblems keeps the first maxListedProblems problems and says how many
// more there were.
func capProblems(problems []fault.Problem) []fault.Problem {
	if len(problems) <= maxListedProblems {
		return problems
	}
	out := append([]fault.Problem(nil), problems[:maxListedProblems]...)
	return append(out, fault.Problem{Field: "errors", Message: fmt.Sprintf("and %d more problems not listed", len(problems)-maxListedProblems)})
}

// jsonMediaType refuses with a 415 a body labelled as anything but JSON
// (strictjson.AcceptableMediaType).
func jsonMediaType(r *http.Request) error {
	if header := r.Header.Get("Content-Type"); !strictjson.AcceptableMediaType(header) {
		return &controlError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			description: fmt.Sprintf("Send the body as application/json (UTF-8), not %q.", header)}
	}
	return nil
}

// readOptionalJSON reads a control body that may be absent (nil): at most
// maxRuleBytes, in a JSON media type, one JSON value with no repeated key
// and valid UTF-8.
func readOptionalJSON(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxRuleBytes {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRuleBytes+1))
	switch {
	case err != nil:
		return nil, badRequest("The request body could not be read.")
	case len(body) > maxRuleBytes:
		return nil, tooLarge()
	case len(bytes.TrimSpace(body)) == 0:
		return nil, nil
	}
	if err := jsonMediaType(r); err != nil {
		return nil, err
	}
	if err := strictjson.Check(body); err != nil {
		return nil, badRequest("%s.", upperFirst(err.Error()))
	}
	return body, nil
}

func tooLarge() error {
	return &controlError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
		description: fmt.Sprintf("The request body is larger than the limit of %d KiB.", maxRuleBytes>>10)}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// decodeStrict decodes one JSON object into v, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case asTypeError(err, &typeErr) && typeErr.Field != "":
			return fmt.Errorf("%s cannot be %s", typeErr.Field, typeErr.Value)
		case asTypeError(err, &typeErr):
			return fmt.Errorf("the body must be a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return fmt.Errorf("not JSON")
	}
	return nil
}

func asTypeError(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

// noInput refuses a query parameter or a body (other than {}) on a control
// route that takes neither: a parameter it does not know would otherwise be ignored
// (DELETE /_sandbox/faults?id=r1 deleting every rule).
func noInput(r *http.Request) error {
	for name := range r.URL.Query() {
		return badRequest("Unknown parameter %q: %s %s takes no parameters.", name, r.Method, r.URL.Path)
	}
	if r.URL.RawQuery != "" && len(r.URL.Query()) == 0 {
		return badRequest("%s %s takes no query string.", r.Method, r.URL.Path)
	}
	// An empty JSON object is no input: many clients send {} with every POST.
	body, err := io.ReadAll(io.LimitReader(r.Body, 64))
	if trimmed := bytes.TrimSpace(body); err == nil && len(trimmed) > 0 && string(trimmed) != "{}" {
		return badRequest("%s %s takes no body.", r.Method, r.URL.Path)
	}
	return nil
}
