package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// jsonContentType refuses with a 415 a body to the control API or the
// callout endpoint labelled as anything but JSON
// (strictjson.AcceptableMediaType).
func jsonContentType(r *http.Request) error {
	if header := r.Header.Get("Content-Type"); !strictjson.AcceptableMediaType(header) {
		return newError(CodeUnsupportedMediaType, fmt.Sprintf("Send the body as application/json (UTF-8), not %s.", quote(header)))
	}
	return nil
}

// decodeProblem phrases an encoding/json decoding error for a person,
// without echoing the body.
func decodeProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return "the body must be a JSON object"
		}
		return fmt.Sprintf("%s must be %s, not %s", field, kindOf(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "unexpected end of input"
}

func kindOf(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "uint64":
		return "a whole number"
	}
	return "a " + kind
}
