package journal

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
)

// mask is what a secret is replaced with.
const mask = "****"

// secretNames are the parameters whose values never reach the journal:
// OAuth client secrets (form or JSON token requests) and issued tokens.
const secretNames = `client_secret|clientSecret|access_token|accessToken|refresh_token|refreshToken|password`

var (
	// secretJSON finds a secret's value in JSON, also when the body was
	// cut in the middle of it.
	secretJSON = regexp.MustCompile(`("(?:` + secretNames + `)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]+)`)
	// secretForm finds a secret's value in a form body or a query string.
	secretForm = regexp.MustCompile(`(^|[&;])((?:` + secretNames + `)=)[^&;]*`)
)

// maskBody hides secrets in a form, query or JSON text.
func maskBody(text string) string {
	if !strings.Contains(text, "ecret") && !strings.Contains(text, "oken") && !strings.Contains(text, "password") {
		return text
	}
	text = secretJSON.ReplaceAllString(text, `${1}"`+mask+`"`)
	return secretForm.ReplaceAllString(text, `${1}${2}`+mask)
}

// maskBodyBytes is maskBody for a body the caller owns; a body with
// nothing to mask is kept as it is.
func maskBodyBytes(body []byte) []byte {
	if len(body) == 0 {
		return nil
	}
	if !bytes.Contains(body, []byte("ecret")) && !bytes.Contains(body, []byte("oken")) && !bytes.Contains(body, []byte("password")) {
		return body
	}
	return []byte(maskBody(string(body)))
}

// sep separates names and values in a flattened header. HTTP forbids it
// in both, and net/http refuses requests that carry it.
const sep = "\x00"

// flattenHeaders writes h as one string of name, sep, value, sep, ...
// (one pair per value), with credentials and cookies masked: the
// scheme of an Authorization header is kept ("Bearer ****"), so the
// journal still shows how a client authenticated.
func flattenHeaders(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 2
		}
	}
	var b strings.Builder
	b.Grow(n)
	for k, vs := range h {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(sep)
			b.WriteString(maskHeader(k, v))
			b.WriteString(sep)
		}
	}
	return b.String()
}

// maskHeader is the value of header name as the journal keeps it.
func maskHeader(name, value string) string {
	switch {
	case strings.EqualFold(name, "Authorization"), strings.EqualFold(name, "Proxy-Authorization"):
		if scheme, _, found := strings.Cut(strings.TrimSpace(value), " "); found {
			return scheme + " " + mask
		}
		return mask
	case strings.EqualFold(name, "Cookie"), strings.EqualFold(name, "Set-Cookie"):
		return mask
	}
	return value
}

// unflattenHeaders reads back what flattenHeaders wrote.
func unflattenHeaders(flat string) http.Header {
	if flat == "" {
		return nil
	}
	h := http.Header{}
	for flat != "" {
		name, rest, _ := strings.Cut(flat, sep)
		value, rest2, _ := strings.Cut(rest, sep)
		h[name] = append(h[name], value)
		flat = rest2
	}
	return h
}
