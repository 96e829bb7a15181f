package journal

import (
	"net/http"
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

func TestMaskHeadersKeepsTheScheme(t *testing.T) {
	h := maskHeaders(http.Header{"Authorization": {"Basic ZGVtbzpzZWNyZXQ="}, "Proxy-Authorization": {"token"}, "Cookie": {"a=b"}, "Accept": {"*/*"}})
	got := h.Get("Authorization") + "|" + h.Get("Proxy-Authorization") + "|" + h.Get("Cookie") + "|" + h.Get("Accept")
	if got != "Basic ****|****|****|*/*" || strings.Contains(got, "ZGVt") {
		t.Errorf("%s", got)
	}
}
