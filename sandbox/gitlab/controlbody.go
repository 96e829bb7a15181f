package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// jsonContentType accepts the media types a JSON body to the control API or
// the callout endpoint may be labelled with: none, application/json or a
// +json type (UTF-8 if a charset is given), and
// application/x-www-form-urlencoded only because that is the label curl -d
// puts on every body (the body must still be JSON). Anything else, such as
// text/plain or multipart/form-data, is a 415: the client meant something
// else than what it sent.
func jsonContentType(r *http.Request) error {
	header := r.Header.Get("Content-Type")
	if header == "" {
		return nil
	}
	mediaType, params, err := mime.ParseMediaType(header)
	ok := err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") ||
		mediaType == "application/x-www-form-urlencoded")
	if cs, set := params["charset"]; ok && set && !equalFoldASCII(cs, "utf-8") {
		ok = false
	}
	if !ok {
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
