package strictjson

import (
	"mime"
	"strings"
)

// AcceptableMediaType tells whether a Content-Type header may label a JSON
// body sent to the sandbox's control API or callout endpoint: none,
// application/json or a +json type (UTF-8 if a charset is given), and
// application/x-www-form-urlencoded only because curl -d labels every body
// so (the body must still be JSON). Anything else, such as text/plain or
// multipart/form-data, means the client sent something other than it
// meant, and the caller answers 415 in its own envelope.
func AcceptableMediaType(header string) bool {
	if header == "" {
		return true
	}
	mediaType, params, err := mime.ParseMediaType(header)
	ok := err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") ||
		mediaType == "application/x-www-form-urlencoded")
	if cs, set := params["charset"]; ok && set && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return ok
}
