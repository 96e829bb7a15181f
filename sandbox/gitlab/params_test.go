package gitlab_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const demoCreds = "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret"

func strictProfile() sandboxtest.Option {
	return sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenProfile = "strict" })
}

// TestTokenParametersMergeAsRailsDoes walks Rails' and Rack's reading of a
// token request in the doorkeeper profile: the query string wins over the
// body, the last of a repeated key wins, scopes split on any ASCII
// whitespace, '+' and %20 are spaces, ';' separates query pairs, and a
// list-shaped parameter is refused.
func TestTokenParametersMergeAsRailsDoes(t *testing.T) {
	srv := frozen(t)
	cases := []struct {
		name, query, contentType, body string
		wantStatus                     int
		wantScope, wantError           string
	}{
		{"query wins over body", "?scope=" + scopeCreate, "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead, 200, scopeCreate, ""},
		{"query secret wins over a wrong body secret", "?client_secret=demo-secret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=demo-partner&client_secret=wrong&scope=" + scopeRead, 200, scopeRead, ""},
		{"query wins over JSON", "?scope=" + scopeCreate, "application/json", `{"grant_type":"client_credentials","client_id":"demo-partner","client_secret":"demo-secret","scope":"` + scopeRead + `"}`, 200, scopeCreate, ""},
		{"last repeated key wins", "", "application/x-www-form-urlencoded", demoCreds + "&scope=api&scope=" + scopeRead, 200, scopeRead, ""},
		{"last repeated secret wins", "", "application/x-www-form-urlencoded", demoCreds + "&client_secret=wrong&scope=" + scopeRead, 401, "", "invalid_client"},
		{"leading, trailing and double spaces", "", "application/x-www-form-urlencoded", demoCreds + "&scope=++" + scopeRead + "++" + scopeCreate + "+", 200, scopeRead + " " + scopeCreate, ""},
		{"%20 is a space", "", "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead + "%20" + scopeCreate, 200, scopeRead + " " + scopeCreate, ""},
		{"tab and newline separate", "", "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead + "%09" + scopeCreate + "%0A", 200, scopeRead + " " + scopeCreate, ""},
		{"a no-break space separates nothing", "", "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead + "%C2%A0" + scopeCreate, 400, "", "invalid_scope"},
		{"%2B is a plus, part of the name", "", "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead + "%2B", 400, "", "invalid_scope"},
		{"semicolons separate query pairs", "?scope=" + scopeRead + ";client_secret=demo-secret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=demo-partner", 200, scopeRead, ""},
		{"POST without Content-Type is a form", "", "", demoCreds + "&scope=" + scopeRead, 200, scopeRead, ""},
		{"list-shaped scope", "", "application/x-www-form-urlencoded", demoCreds + "&scope[]=" + scopeRead, 400, "", "invalid_request"},
		{"value then list of one name", "", "application/x-www-form-urlencoded", demoCreds + "&scope=" + scopeRead + "&scope[]=x", 400, "", "invalid_request"},
		{"bad percent escape", "", "application/x-www-form-urlencoded", demoCreds + "&scope=%zz", 400, "", "invalid_request"},
		{"JSON that is not an object", "", "application/json", `["grant_type"]`, 400, "", "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			r := call(t, http.MethodPost, srv.URL+"/oauth/token"+tc.query, h, []byte(tc.body))
			if tc.wantError != "" {
				expectError(t, r, tc.wantStatus, tc.wantError)
				return
			}
			if r.status != tc.wantStatus || r.json["scope"] != tc.wantScope {
				t.Fatalf("got %d %s, want %d scope %q", r.status, r.raw, tc.wantStatus, tc.wantScope)
			}
		})
	}
}

func TestTokenParametersMultipartAsRackReadsThem(t *testing.T) {
	srv := frozen(t)
	body := "--b\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\ndemo-partner\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\ndemo-secret\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"scope\"\r\n\r\n" + scopeRead + "\r\n--b--\r\n"
	r := call(t, http.MethodPost, srv.URL+"/oauth/token", map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, []byte(body))
	if r.status != 200 || r.json["scope"] != scopeRead {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

// TestStrictTokenParametersFollowRFC6749 checks the strict profile's
// reading: one value per parameter (§3.2), single spaces between scopes
// (§3.3), no credentials in the URI (§2.3.1), Basic decoded strictly.
func TestStrictTokenParametersFollowRFC6749(t *testing.T) {
	srv := frozen(t, strictProfile())
	cases := []struct {
		name, query, body, authorization string
		wantStatus                       int
		wantError                        string
	}{
		{"repeated parameter", "", demoCreds + "&scope=" + scopeRead + "&scope=" + scopeRead, "", 400, "invalid_request"},
		{"two spaces between scopes", "", demoCreds + "&scope=" + scopeRead + "++" + scopeCreate, "", 400, "invalid_scope"},
		{"leading space", "", demoCreds + "&scope=+" + scopeRead, "", 400, "invalid_scope"},
		{"tab between scopes", "", demoCreds + "&scope=" + scopeRead + "%09" + scopeCreate, "", 400, "invalid_scope"},
		{"secret in the URI", "?client_secret=demo-secret", "grant_type=client_credentials&client_id=demo-partner&scope=" + scopeRead, "", 400, "invalid_request"},
		{"lowercase basic scheme works", "", "grant_type=client_credentials&scope=" + scopeRead, "basic " + strings.TrimPrefix(basic("demo-partner", "demo-secret"), "Basic "), 200, ""},
		{"form-encoded Basic parts", "", "grant_type=client_credentials&scope=" + scopeRead, basic(url.QueryEscape("demo-partner"), url.QueryEscape("demo-secret")), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if tc.authorization != "" {
				h["Authorization"] = tc.authorization
			}
			r := call(t, http.MethodPost, srv.URL+"/oauth/token"+tc.query, h, []byte(tc.body))
			if tc.wantError == "" {
				if r.status != tc.wantStatus {
					t.Fatalf("%d %s", r.status, r.raw)
				}
				return
			}
			expectError(t, r, tc.wantStatus, tc.wantError)
		})
	}
}

// TestDoorkeeperBasicCredentialsAreReadAsDoorkeeperReadsThem: the scheme
// is case-sensitive ("basic" is no Basic header, so body credentials are
// used), and the parts are not URL-decoded.
func TestDoorkeeperBasicCredentialsAreReadAsDoorkeeperReadsThem(t *testing.T) {
	srv := frozen(t)
	lower := "basic " + strings.TrimPrefix(basic("demo-partner", "wrong"), "Basic ")
	r := call(t, http.MethodPost, srv.URL+"/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": lower}, []byte(demoCreds+"&scope="+scopeRead))
	if r.status != 200 {
		t.Errorf("lowercase basic with good body credentials: %d %s", r.status, r.raw)
	}
	encoded := basic("demo%2Dpartner", "demo-secret")
	r = call(t, http.MethodPost, srv.URL+"/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": encoded}, []byte("grant_type=client_credentials&scope="+scopeRead))
	expectError(t, r, 401, "invalid_client")
}
