package journal

import (
	"bytes"
	"net/http"
	"strings"
)

// mask is what a secret is replaced with.
const mask = "****"

// secretNames are the parameters whose values never reach the journal:
// OAuth client secrets (form or JSON token requests) and issued tokens.
// None is a prefix of another.
var secretNames = []string{"client_secret", "clientSecret", "access_token", "accessToken", "refresh_token", "refreshToken", "password"}

// maskBody hides secrets in a form, query or JSON text: the value of a
// JSON member named like a secret (a string, also one cut short by
// body_bytes, or any other value up to the next ',', '}' or space) becomes
// "****", and so does the value of a form or query parameter named like
// one. It is a hand-written scanner, as the token endpoint journals a
// secret in every request and every answer; mask_test.go holds the
// regular expressions it must agree with.
func maskBody(text string) string {
	if !strings.Contains(text, "ecret") && !strings.Contains(text, "oken") && !strings.Contains(text, "password") {
		return text
	}
	return maskForm(maskJSON(text))
}

// secretName returns the length of the secret name text starts with, or 0.
func secretName(text string) int {
	for _, n := range secretNames {
		if strings.HasPrefix(text, n) {
			return len(n)
		}
	}
	return 0
}

// isJSONSpace is the regular-expression class \s: tab, newline, form
// feed, carriage return and space.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// jsonSecretAt reports where the value of a secret member starts and ends
// when text[p] opens that member's name.
func jsonSecretAt(text string, p int) (start, end int, ok bool) {
	n := secretName(text[p+1:])
	q := p + 1 + n
	if n == 0 || q >= len(text) || text[q] != '"' {
		return 0, 0, false
	}
	for q++; q < len(text) && isJSONSpace(text[q]); q++ {
	}
	if q >= len(text) || text[q] != ':' {
		return 0, 0, false
	}
	for q++; q < len(text) && isJSONSpace(text[q]); q++ {
	}
	start = q
	if q < len(text) && text[q] == '"' {
		for q++; q < len(text); q++ {
			if text[q] == '"' {
				return start, q + 1, true
			}
			if text[q] == '\\' {
				if q+1 >= len(text) || text[q+1] == '\n' {
					break // a string cut after a backslash ends before it
				}
				q++
			}
		}
		return start, q, true
	}
	for q < len(text) && text[q] != ',' && text[q] != '}' && !isJSONSpace(text[q]) {
		q++
	}
	return start, q, q > start
}

func maskJSON(text string) string {
	var b strings.Builder
	last := 0
	for p := 0; p < len(text); p++ {
		if text[p] != '"' {
			continue
		}
		start, end, ok := jsonSecretAt(text, p)
		if !ok {
			continue
		}
		b.WriteString(text[last:start])
		b.WriteString(`"` + mask + `"`)
		last, p = end, end-1
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func maskForm(text string) string {
	var b strings.Builder
	last := 0
	for q := 0; q < len(text); q++ {
		if q > 0 && text[q-1] != '&' && text[q-1] != ';' {
			continue
		}
		n := secretName(text[q:])
		if n == 0 || q+n >= len(text) || text[q+n] != '=' {
			continue
		}
		start := q + n + 1
		end := start
		for end < len(text) && text[end] != '&' && text[end] != ';' {
			end++
		}
		b.WriteString(text[last:start])
		b.WriteString(mask)
		last, q = end, end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
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
