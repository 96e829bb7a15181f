package engine

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// masked replaces a secret in every record the harness writes.
const masked = "****"

// sensitiveKeys are JSON and form fields whose values are secrets.
func sensitiveKeys() map[string]bool {
	return map[string]bool{"access_token": true, "refresh_token": true, "client_secret": true, "password": true}
}

// masker hides client secrets and tokens from exchanges and messages, so
// that reports can be published as CI artifacts. It learns every token the
// target hands out.
type masker struct {
	secrets []string
	keys    map[string]bool
}

func newMasker(secrets []string) *masker {
	m := &masker{keys: sensitiveKeys()}
	for _, s := range secrets {
		m.add(s)
	}
	return m
}

func (m *masker) add(secret string) {
	if len(secret) >= 4 {
		m.secrets = append(m.secrets, secret)
	}
}

// learn records secrets found in a response body.
func (m *masker) learn(doc any) {
	if obj, ok := doc.(map[string]any); ok {
		for k, v := range obj {
			if s, ok := v.(string); ok && m.keys[k] {
				m.add(s)
			}
		}
	}
}

// text masks every known secret in s.
func (m *masker) text(s string) string {
	for _, secret := range m.secrets {
		s = strings.ReplaceAll(s, secret, masked)
	}
	return s
}

func (m *masker) header(h http.Header) map[string][]string {
	if h == nil {
		return nil
	}
	out := map[string][]string{}
	for k, vs := range h {
		for _, v := range vs {
			if strings.EqualFold(k, "Authorization") {
				scheme, _, _ := strings.Cut(v, " ")
				v = scheme + " " + masked
			}
			out[k] = append(out[k], m.text(v))
		}
	}
	return out
}

// body masks the values of sensitive fields of JSON and form bodies, then
// known secrets, and otherwise leaves the bytes exactly as they went over
// the wire: key order, spacing and escapes are what a partner debugging
// the exchange needs to see, so nothing is decoded and re-encoded.
func (m *masker) body(b []byte, contentType string) string {
	if masked, ok := m.jsonBody(b); ok {
		return m.text(masked)
	}
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		return m.text(m.formBody(string(b)))
	}
	return m.text(string(b))
}

// jsonBody replaces, in place, the string values of the sensitive keys of
// a JSON object body.
func (m *masker) jsonBody(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	var out strings.Builder
	last := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", false
		}
		before := int(dec.InputOffset())
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return "", false
		}
		after := int(dec.InputOffset())
		name, _ := key.(string)
		if !m.keys[name] || len(value) == 0 || value[0] != '"' {
			continue
		}
		start := before + bytes.IndexByte(b[before:after], '"')
		out.Write(b[last:start])
		out.WriteString(`"` + masked + `"`)
		last = after
	}
	out.Write(b[last:])
	return out.String(), true
}

// formBody replaces the values of sensitive fields of a form body, pair
// by pair in the order sent.
func (m *masker) formBody(body string) string {
	pairs := strings.Split(body, "&")
	for i, pair := range pairs {
		rawKey, _, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(rawKey); err == nil && m.keys[key] {
			pairs[i] = rawKey + "=" + masked
		}
	}
	return strings.Join(pairs, "&")
}

// exchange fills in the masked request and response of ex.
func (m *masker) exchange(ex Exchange, out *outgoing, respHeader http.Header, respBody []byte) Exchange {
	ex.URL = m.text(ex.URL)
	ex.RequestHeaders = m.header(out.header)
	ex.RequestBody = truncate(m.body(out.body, out.header.Get("Content-Type")))
	ex.ResponseHeaders = m.header(respHeader)
	ex.ResponseBody = truncate(m.body(respBody, respHeader.Get("Content-Type")))
	ex.Error = m.text(ex.Error)
	return ex
}

// truncate keeps reports readable when a scenario sends a huge body.
func truncate(s string) string {
	const limit = 8 << 10
	if len(s) > limit {
		return s[:limit] + "… (" + itoa(len(s)) + " bytes)"
	}
	return s
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
