package journal

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestMaskBody(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"form", "grant_type=client_credentials&client_id=a&client_secret=s3cr3t&scope=x", "grant_type=client_credentials&client_id=a&client_secret=****&scope=x"},
		{"form, secret first", "client_secret=s3cr3t", "client_secret=****"},
		{"JSON", `{"client_id":"a","client_secret":"s3cr3t"}`, `{"client_id":"a","client_secret":"****"}`},
		{"JSON with spaces and escapes", `{"client_secret" : "s3\"cr3t", "x": 1}`, `{"client_secret" : "****", "x": 1}`},
		{"JSON number", `{"password":12345}`, `{"password":"****"}`},
		{"JSON cut inside the secret", `{"client_id":"a","client_secret":"s3c`, `{"client_id":"a","client_secret":"****"`},
		{"token answer", `{"access_token":"abc","token_type":"Bearer","refresh_token":"def"}`, `{"access_token":"****","token_type":"Bearer","refresh_token":"****"}`},
		{"camelCase", `{"clientId":"a","clientSecret":"s3cr3t"}`, `{"clientId":"a","clientSecret":"****"}`},
		{"nothing secret", `{"status":"Created"}`, `{"status":"Created"}`},
		{"a name that only ends like one", "my_client_secret=keep", "my_client_secret=keep"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := maskBody(tc.in); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestFlattenedHeadersAreMaskedAndReadBack(t *testing.T) {
	in := http.Header{"Authorization": {"Basic ZGVtbzpzZWNyZXQ="}, "Proxy-Authorization": {"token"}, "Cookie": {"a=b"},
		"Accept": {"*/*"}, "X-Twice": {"one", "two"}, "X-Empty": {""}, "cookie": {"lower=case"}}
	h := unflattenHeaders(flattenHeaders(in))
	got := h.Get("Authorization") + "|" + h.Get("Proxy-Authorization") + "|" + h.Get("Cookie") + "|" + h.Get("Accept")
	if got != "Basic ****|****|****|*/*" || strings.Contains(got, "ZGVt") {
		t.Errorf("%s", got)
	}
	if !slices.Equal(h["X-Twice"], []string{"one", "two"}) || len(h["X-Empty"]) != 1 || h["X-Empty"][0] != "" {
		t.Errorf("values lost: %v", h)
	}
	if h["cookie"][0] != "****" {
		t.Errorf("a cookie header not in canonical form was kept: %v", h["cookie"])
	}
	if len(h) != len(in) {
		t.Errorf("got %d headers, want %d: %v", len(h), len(in), h)
	}
	if unflattenHeaders(flattenHeaders(nil)) != nil {
		t.Error("no headers should read back as none")
	}
}

// The regular expressions maskBody's scanner implements: the reference it
// is tested against.
var (
	oracleNames = strings.Join(secretNames, "|")
	oracleJSON  = regexp.MustCompile(`("(?:` + oracleNames + `)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]+)`)
	oracleForm  = regexp.MustCompile(`(^|[&;])((?:` + oracleNames + `)=)[^&;]*`)
)

func oracleMask(text string) string {
	text = oracleJSON.ReplaceAllString(text, `${1}"`+mask+`"`)
	return oracleForm.ReplaceAllString(text, `${1}${2}`+mask)
}

var maskSeeds = []string{
	`{"client_secret":"s3cr3t"}`, `{"password" :	"a\"b\\c"}`, `{"password":"cut\`, "{\"password\":\"cut\\\n\"}",
	`{"password":}`, `{"password":,"accessToken":12,"x":"password=1&a=b"}`, `{"refresh_token" : null }`,
	`password=`, `a=1&password=x;client_secret=y&z=2`, `&&password=1`, `xpassword=1`, `{"client_secret"`,
	`{"client_secret":`, `{"client_secret": "`, `"password""password":"x"`, `{"ACCESS_TOKEN":"x","access_token":"ü☃"}`,
	`{"password":"\ü"}`, `{"accessToken":tru,"e":1}`, `;password=a;password=b`, `{"password":"x"}&password=y`,
	"{\"password\":\"\xff\xfe\"}", `{"password"::"x"}`, `{"clientSecret":"x"},{"clientSecret":"y"}`,
}

func TestMaskBodyAgreesWithItsRegularExpressions(t *testing.T) {
	for _, text := range maskSeeds {
		if got, want := maskBody(text), oracleMask(text); got != want {
			t.Errorf("%q:\n got  %q\n want %q", text, got, want)
		}
	}
}

func FuzzMaskBodyAgreesWithItsRegularExpressions(f *testing.F) {
	for _, s := range maskSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := maskBody(text), oracleMask(text); got != want {
			t.Errorf("%q:\n got  %q\n want %q", text, got, want)
		}
	})
}
