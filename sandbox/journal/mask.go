package journal

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// mask is what a secret is replaced with.
const mask = "****"

// secretNames are the parameter and member names whose values never reach
// the journal, as normalizeName writes them: OAuth client secrets, issued
// tokens (the token of /oauth/revoke and /oauth/introspect, Doorkeeper's
// access_token and bearer_token parameters), passwords and API keys.
var secretNames = []string{"clientsecret", "accesstoken", "refreshtoken", "bearertoken", "idtoken", "token", "password", "secret", "apikey"}

// isSecretName reports whether name, once decoded, is a secret's name in
// any casing and with any '_' or '-' (client_secret, clientSecret,
// CLIENT-SECRET). Rack's brackets (client_secret[]) count as the name.
func isSecretName(name string) bool {
	if i := strings.IndexByte(name, '['); i > 0 {
		name = name[:i]
	}
	for _, n := range secretNames {
		if normalizedEqual(name, n) {
			return true
		}
	}
	return false
}

// normalizedEqual compares name, lower-cased and without '_' and '-', to
// the normalized n, without allocating.
func normalizedEqual(name, n string) bool {
	j := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '-' {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if j >= len(n) || n[j] != c {
			return false
		}
		j++
	}
	return j == len(n)
}

// maskBody hides secrets in a form, query or JSON text by name: the value
// of a JSON member whose (unescaped) name is a secret's (a string, also
// one cut short by body_bytes, an object or array to its closing bracket,
// or any other value up to the next ',', '}', ']' or space) becomes
// "****", and so does the value of a form or query parameter whose
// (percent-decoded) name is one. It is a hand-written scanner, since the
// token endpoint journals a secret in every request and every answer.
func maskBody(text string) string {
	return maskForm(maskJSON(text))
}

// isJSONSpace is JSON's whitespace (and the form feed).
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// jsonString returns the end (after the closing quote, or len(text) for a
// string cut short) of the JSON string opening at text[p], and whether it
// holds a backslash escape.
func jsonString(text string, p int) (end int, escaped bool) {
	for q := p + 1; q < len(text); q++ {
		switch text[q] {
		case '"':
			return q + 1, escaped
		case '\\':
			escaped = true
			q++
		}
	}
	return len(text), escaped
}

// jsonValueEnd is where the JSON value starting at text[q] ends.
func jsonValueEnd(text string, q int) int {
	switch {
	case q >= len(text):
		return q
	case text[q] == '"':
		end, _ := jsonString(text, q)
		return end
	case text[q] == '{' || text[q] == '[':
		depth := 0
		for i := q; i < len(text); i++ {
			switch text[i] {
			case '"':
				end, _ := jsonString(text, i)
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(text)
	}
	for q < len(text) && text[q] != ',' && text[q] != '}' && text[q] != ']' && !isJSONSpace(text[q]) {
		q++
	}
	return q
}

// jsonSecretAt reports where the value of a secret member starts and ends
// when text[p] opens that member's name.
func jsonSecretAt(text string, p int) (start, end, next int, ok bool) {
	nameEnd, escaped := jsonString(text, p)
	name := text[p+1 : max(p+1, nameEnd-1)]
	if escaped {
		name = unescapeJSON(name)
	}
	q := nameEnd
	for q < len(text) && isJSONSpace(text[q]) {
		q++
	}
	if q >= len(text) || text[q] != ':' || !isSecretName(name) {
		return 0, 0, nameEnd, false
	}
	for q++; q < len(text) && isJSONSpace(text[q]); q++ {
	}
	end = jsonValueEnd(text, q)
	return q, end, end, end > q || q == len(text)
}

func maskJSON(text string) string {
	if strings.IndexByte(text, ':') < 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for p := 0; p < len(text); p++ {
		if text[p] != '"' {
			continue
		}
		start, end, next, ok := jsonSecretAt(text, p)
		if !ok {
			p = next - 1
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

// unescapeJSON decodes a JSON string's escapes; an invalid one is kept.
func unescapeJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'u':
			if r, ok := hex4(s, i+1); ok {
				b.WriteRune(r)
				i += 4
				continue
			}
			b.WriteString(`\u`)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// formName decodes a form or query parameter name the way Rack would;
// one with a bad escape is compared as it is.
func formName(raw string) string {
	if strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, '+') < 0 {
		return strings.TrimLeft(raw, " ")
	}
	if n, err := url.QueryUnescape(raw); err == nil {
		return strings.TrimLeft(n, " ")
	}
	return raw
}

func maskForm(text string) string {
	if strings.IndexByte(text, '=') < 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for q := 0; q < len(text); {
		end := q
		for end < len(text) && text[end] != '&' && text[end] != ';' {
			end++
		}
		if eq := strings.IndexByte(text[q:end], '='); eq >= 0 && isSecretName(formName(text[q:q+eq])) && q+eq+1 < end {
			b.WriteString(text[last : q+eq+1])
			b.WriteString(mask)
			last = end
		}
		q = end + 1
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
	text := view(body)
	if masked := maskBody(text); masked != text {
		return []byte(masked)
	}
	return body
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
	// Sized by the masked values: a bearer JWT is 1.2 KB the journal
	// would otherwise keep as unused capacity in every entry.
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(maskHeader(k, v)) + 2
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

// secretHeaderWords mark a header whose whole value is a credential
// (Cookie, X-Api-Key, Private-Token, X-Auth-Token, X-Client-Secret…).
var secretHeaderWords = []string{"cookie", "token", "secret", "password", "passwd", "credential", "session", "apikey", "api-key", "api_key", "x-auth"}

// plainHeaders are canonical names of headers that never carry a
// credential, which maskHeader passes without looking for one of the
// words: nearly every header of every request is one of them.
var plainHeaders = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Cache-Control": true, "Connection": true,
	"Content-Length": true, "Content-Type": true, "Date": true, "Host": true, "Location": true, "User-Agent": true,
	"X-Request-Id": true, "X-Ms-Requestid": true, "X-Ms-Correlationid": true, "Operation-Location": true,
	"Retry-After": true, "Allow": true, "Www-Authenticate": true, "Traceparent": true,
}

// maskHeader is the value of header name as the journal keeps it.
func maskHeader(name, value string) string {
	if plainHeaders[name] {
		return value
	}
	if hasASCIIWord(name, "authorization") {
		v := strings.TrimLeft(value, " \t")
		scheme, _, found := strings.Cut(v, " ")
		switch {
		case found && scheme == "Bearer":
			return "Bearer " + mask // a constant: no allocation on the common path
		case found && isSchemeName(scheme):
			return scheme + " " + mask
		}
		return mask
	}
	for _, w := range secretHeaderWords {
		if hasASCIIWord(name, w) {
			return mask
		}
	}
	return value
}

// hasASCIIWord reports whether s holds word, a lower-case ASCII word, in
// any case: strings.ToLower would allocate for every canonical header
// name of every request.
func hasASCIIWord(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && lowerASCII(s[i+j]) == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// view is b as a string without a copy, for code that only reads it
// while b is not written (masking scans a body the journal owns and
// copies whatever it changes).
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// isSchemeName reports whether s looks like an auth scheme (Basic,
// Bearer, Digest…) rather than a credential sent without one.
func isSchemeName(s string) bool {
	if s == "" || len(s) > 16 || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
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
