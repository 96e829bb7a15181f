package engine

import (
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

// body masks sensitive fields of JSON and form bodies, then known secrets.
func (m *masker) body(b []byte, contentType string) string {
	var doc any
	if json.Unmarshal(b, &doc) == nil {
		if obj, ok := doc.(map[string]any); ok {
			for k := range obj {
				if m.keys[k] {
					obj[k] = masked
				}
			}
			out, _ := json.Marshal(obj)
			return m.text(string(out))
		}
	}
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(b)); err == nil {
			for k := range form {
				if m.keys[k] {
					form[k] = []string{masked}
				}
			}
			return m.text(form.Encode())
		}
	}
	return m.text(string(b))
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
