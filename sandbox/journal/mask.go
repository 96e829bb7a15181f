package journal

import (
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

// credentialHeaders carry credentials: their scheme is kept ("Bearer",
// "Basic") so the journal still shows how a client authenticated.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization"}

// maskHeaders masks credentials and cookies in h, which the caller owns
// (a clone), and returns it.
func maskHeaders(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	for _, name := range credentialHeaders {
		for i, v := range h[name] {
			scheme, _, found := strings.Cut(strings.TrimSpace(v), " ")
			if found {
				h[name][i] = scheme + " " + mask
			} else {
				h[name][i] = mask
			}
		}
	}
	for _, name := range []string{"Cookie", "Set-Cookie"} {
		for i := range h[name] {
			h[name][i] = mask
		}
	}
	return h
}
