package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const controlToken = "s3cret-control-token-0123456789"

// ask sends a request with headers given as name, value pairs; "Host"
// sets the request's Host header (what a browser sends for the name it
// was given) rather than the address dialled.
func ask(t testing.TB, method, url, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// refused checks a refusal in the control API's envelope.
func refused(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.body["error"] != code || a.body["request_id"] == "" || a.body["error_description"] == "" {
		t.Fatalf("want %d %s in the control envelope, got %d %s", status, code, a.status, a.raw)
	}
}

func TestControlTokenGuardsEveryControlRouteButHealth(t *testing.T) {
	srv := frozen(t, sandboxtest.WithControlToken(controlToken))
	bearer := "Bearer " + controlToken
	cases := []struct {
		name, method, path, body string
		header                   []string
		want                     int
		code                     string
	}{
		{"health needs nothing", "GET", "/_sandbox/health", "", nil, 200, ""},
		{"what is served, without a token", "GET", "/_sandbox", "", nil, 401, "control_token_required"},
		{"reset, without a token", "POST", "/_sandbox/reset", "", nil, 401, "control_token_required"},
		{"reset, with a wrong token", "POST", "/_sandbox/reset", "", []string{"Authorization", "Bearer " + strings.Repeat("x", 31)}, 401, "invalid_control_token"},
		{"reset, with the token as Basic", "POST", "/_sandbox/reset", "", []string{"Authorization", "Basic " + controlToken}, 401, "invalid_control_token"},
		{"reset, with a prefix of the token", "POST", "/_sandbox/reset", "", []string{"Authorization", bearer[:len(bearer)-1]}, 401, "invalid_control_token"},
		{"reset, with the token", "POST", "/_sandbox/reset", "", []string{"Authorization", bearer}, 200, ""},
		{"the scheme in any case", "GET", "/_sandbox/clock", "", []string{"Authorization", "bearer " + controlToken}, 200, ""},
		{"a marketplace's control route", "GET", "/_sandbox/gitlab/subscriptions", "", nil, 401, "control_token_required"},
		{"the specs", "GET", "/_sandbox/openapi/gitlab.yaml", "", nil, 401, "control_token_required"},
		{"a control path no route serves", "GET", "/_sandbox/nothing-here", "", nil, 401, "control_token_required"},
		{"a dot segment does not get around it", "POST", "/api/../_sandbox/reset", "", nil, 401, "control_token_required"},
		{"fault rules", "POST", "/_sandbox/faults", `{"status":500}`, []string{"Content-Type", "application/json"}, 401, "control_token_required"},
		{"sessions", "GET", "/_sandbox/sessions", "", nil, 401, "control_token_required"},
		{"the marketplace API needs no control token", "POST", "/oauth/token", "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, 200, ""},
		{"the sample publisher's landing page is the publisher's, not control", "GET", "/_sandbox/microsoft/sample/landing", "", nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ask(t, c.method, srv.URL+c.path, c.body, c.header...)
			if c.code != "" {
				refused(t, a, c.want, c.code)
				if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
				}
				return
			}
			if a.status != c.want {
				t.Fatalf("got %d %s, want %d", a.status, a.raw, c.want)
			}
		})
	}
	t.Run("a wrong token's challenge says invalid_token", func(t *testing.T) {
		a := ask(t, "GET", srv.URL+"/_sandbox/clock", "", "Authorization", "Bearer wrong-token-wrong-token")
		if got := a.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate %q", got)
		}
	})
}

// Below a session's prefix, the partner's marketplace traffic is the
// partner's and needs no control token; the session's own control API
// does, whichever way it is reached.
func TestControlTokenAndSessions(t *testing.T) {
	srv := frozen(t, sandboxtest.WithControlToken(controlToken))
	sess := srv.Session(t, "gitlab", sandboxtest.SessionOptions{}) // the helpers send the token
	prefix := strings.TrimSuffix(sess.ControlURL, "/_sandbox")
	bearer := []string{"Authorization", "Bearer " + controlToken}

	t.Run("a token through the session's prefix, without the control token", func(t *testing.T) {
		a := ask(t, "POST", prefix+"/oauth/token", "grant_type=client_credentials&client_id="+fmt.Sprint(sess.Credentials["clientId"])+
			"&client_secret="+fmt.Sprint(sess.Credentials["clientSecret"])+"&scope=marketplace.order:read", "Content-Type", "application/x-www-form-urlencoded")
		if a.status != http.StatusOK || a.body["access_token"] == nil {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("a marketplace call through the prefix keeps its own 401", func(t *testing.T) {
		a := ask(t, "GET", prefix+"/api/v1/marketplace/subscriptions/x", "")
		if a.status != http.StatusUnauthorized || a.body["error"] == "control_token_required" {
			t.Fatalf("want the portal's own 401, got %d %s", a.status, a.raw)
		}
	})
	for _, c := range []struct {
		name, path string
		header     []string
	}{
		{"the session's control API under its prefix", sess.ControlURL + "/clock", nil},
		{"the session's control API by header", srv.URL + "/_sandbox/clock", []string{sandbox.HeaderSession, sess.ID}},
		{"the session's report", srv.URL + "/_sandbox/sessions/" + sess.ID + "/report", nil},
		{"the session itself", srv.URL + "/_sandbox/sessions/" + sess.ID, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			refused(t, ask(t, "GET", c.path, "", c.header...), http.StatusUnauthorized, "control_token_required")
			// A session without a suite has no report to give (409): past the guard.
			if a := ask(t, "GET", c.path, "", append(c.header, bearer...)...); a.status != http.StatusOK && a.body["error"] != "no_suite" {
				t.Fatalf("with the token: %d %s", a.status, a.raw)
			}
		})
	}
	t.Run("the helpers send the token", func(t *testing.T) {
		if err := sess.Advance(60e9); err != nil {
			t.Fatal(err)
		}
	})
}

// Without a token, the control API answers only Host names no outside DNS
// serves: a page that rebinds its own name to 127.0.0.1 is refused.
func TestControlHostAllowList(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) {
		c.ControlHosts = []string{"sandbox.example.com", "*.corp.example"}
	}))
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:8080", true}, {"[::1]:8080", true}, {"localhost:8080", true}, {"LOCALHOST", true}, {"localhost.", true},
		{"app.localhost:3000", true}, {"10.1.2.3", true}, {"sandbox:8080", true}, {"sandbox.example.com", true},
		{"ci.corp.example:8080", true},
		{"attacker.example:8080", false}, {"attacker.example.", false}, {"127.0.0.1.nip.io", false}, {"corp.example", false},
		{"sandbox.example.com.attacker.example", false}, {"localhost.attacker.example", false},
	} {
		t.Run(c.host, func(t *testing.T) {
			a := ask(t, "GET", srv.URL+"/_sandbox/clock", "", "Host", c.host)
			if c.ok {
				if a.status != http.StatusOK {
					t.Fatalf("%d %s", a.status, a.raw)
				}
				return
			}
			refused(t, a, http.StatusForbidden, "host_not_allowed")
			if !strings.Contains(a.body["error_description"].(string), "control_hosts") {
				t.Errorf("the refusal does not name the setting: %s", a.raw)
			}
		})
	}
	t.Run("marketplace routes are not host-checked", func(t *testing.T) {
		a := ask(t, "POST", srv.URL+"/oauth/token", "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read",
			"Host", "attacker.example", "Content-Type", "application/x-www-form-urlencoded")
		if a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("health is not host-checked", func(t *testing.T) {
		if a := ask(t, "GET", srv.URL+"/_sandbox/health", "", "Host", "attacker.example"); a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
}

func TestControlHostsAnyAndTokenLiftTheHostCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*sandbox.Config)
		header []string
	}{
		{"control_hosts: *", func(c *sandbox.Config) { c.ControlHosts = []string{"*"} }, nil},
		{"a control token", func(c *sandbox.Config) { c.ControlToken = controlToken }, []string{"Authorization", "Bearer " + controlToken}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := frozen(t, sandboxtest.WithConfig(c.change))
			a := ask(t, "GET", srv.URL+"/_sandbox/clock", "", append(c.header, "Host", "sandbox.team.example")...)
			if a.status != http.StatusOK {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		})
	}
}

// A web page can send a form, or text/plain, to any address without
// asking first; the control API refuses such writes from a browser and
// every write a browser marks cross-site, and keeps taking curl's.
func TestControlRefusesWhatABrowserSendsCrossSite(t *testing.T) {
	srv := frozen(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	rule := `{"api":"gitlab","match":{"path":"/oauth/token"},"effect":{"status":503}}`
	cases := []struct {
		name, method, path, body string
		header                   []string
		want                     int
		code                     string
	}{
		{"a cross-site form post", "POST", "/_sandbox/reset", "", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://attacker.example", "Content-Type", "application/x-www-form-urlencoded"}, 403, "cross_origin_refused"},
		{"a same-site page is another origin", "POST", "/_sandbox/reset", "", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://other.localhost"}, 403, "cross_origin_refused"},
		{"an old browser's cross-origin text/plain", "POST", "/_sandbox/faults", rule, []string{"Origin", "http://attacker.example", "Content-Type", "text/plain"}, 403, "cross_origin_refused"},
		{"a cross-site JSON delete", "DELETE", "/_sandbox/faults", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross_origin_refused"},
		{"a same-origin page's form", "POST", "/_sandbox/faults", rule, []string{"Sec-Fetch-Site", "same-origin", "Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"a same-origin page's multipart", "POST", "/_sandbox/reset", "", []string{"Origin", "http://" + host, "Content-Type", "multipart/form-data; boundary=x"}, 415, "unsupported_media_type"},
		{"a same-origin page's text/plain", "POST", "/_sandbox/reset", "", []string{"Origin", "http://" + host, "Content-Type", "Text/Plain;charset=utf-8"}, 415, "unsupported_media_type"},
		{"a same-origin page's JSON", "POST", "/_sandbox/faults", rule, []string{"Sec-Fetch-Site", "same-origin", "Content-Type", "application/json"}, 201, ""},
		{"a cross-site read is not a write", "GET", "/_sandbox/clock", "", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://attacker.example"}, 200, ""},
		{"curl -d from a terminal (form label, JSON body)", "POST", "/_sandbox/faults", rule, []string{"Content-Type", "application/x-www-form-urlencoded"}, 201, ""},
		{"a program's JSON", "POST", "/_sandbox/reset", "", nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ask(t, c.method, srv.URL+c.path, c.body, c.header...)
			if c.code != "" {
				refused(t, a, c.want, c.code)
				return
			}
			if a.status != c.want {
				t.Fatalf("got %d %s, want %d", a.status, a.raw, c.want)
			}
		})
	}
	t.Run("the marketplace APIs are the partner's to guard", func(t *testing.T) {
		a := ask(t, "POST", srv.URL+"/oauth/token", "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read",
			"Sec-Fetch-Site", "cross-site", "Origin", "http://attacker.example", "Content-Type", "application/x-www-form-urlencoded")
		if a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
}

func TestControlTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("a secret file ending in a newline", func(t *testing.T) {
		file := write("token", controlToken+"\n")
		srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.ControlTokenFile = file }))
		refused(t, ask(t, "GET", srv.URL+"/_sandbox/clock", ""), http.StatusUnauthorized, "control_token_required")
		if a := ask(t, "GET", srv.URL+"/_sandbox/clock", "", "Authorization", "Bearer "+controlToken); a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	for _, c := range []struct{ name, file, want string }{
		{"a missing file", filepath.Join(dir, "absent"), "control_token_file"},
		{"a short token", write("short", "tiny\n"), "at least 16 bytes"},
		{"a token with a space", write("spaced", "two words in one token\n"), "visible ASCII"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			cfg.ControlTokenFile = c.file
			_, err := sandbox.New(cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestControlSettingsRefused(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*sandbox.Config)
		want   string
	}{
		{"a short token", func(c *sandbox.Config) { c.ControlToken = "123456789012345" }, "control_token: must be at least 16 bytes"},
		{"a token with a newline", func(c *sandbox.Config) { c.ControlToken = controlToken + "\n" }, "control_token: must be visible ASCII"},
		{"a token two ways", func(c *sandbox.Config) { c.ControlToken, c.ControlTokenFile = controlToken, "/run/secrets/t" }, "both set"},
		{"a host with a port", func(c *sandbox.Config) { c.ControlHosts = []string{"sandbox.example.com:8080"} }, "control_hosts[0]"},
		{"a host as a URL", func(c *sandbox.Config) { c.ControlHosts = []string{"http://sandbox"} }, "is a URL"},
		{"an empty host", func(c *sandbox.Config) { c.ControlHosts = []string{""} }, "is empty"},
		{"a host with a path", func(c *sandbox.Config) { c.ControlHosts = []string{"a.example/x"} }, "control_hosts[0]"},
		{"an origin with a path", func(c *sandbox.Config) { c.CORS.Origins = []string{"http://localhost:3000/"} }, "cors.origins[0]"},
		{"an origin without a scheme", func(c *sandbox.Config) { c.CORS.Origins = []string{"localhost:3000"} }, "cors.origins[0]"},
		{"an origin in capitals", func(c *sandbox.Config) { c.CORS.Origins = []string{"http://App.example"} }, "lower case"},
		{"a preflight cached for days", func(c *sandbox.Config) { c.CORS.MaxAge = 48 * 3600e9 }, "cors.max_age"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			c.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

// The guard holds no state but the standard library's cross-origin
// checker; requests with and without the token run side by side.
func TestControlGuardConcurrent(t *testing.T) {
	srv := frozen(t, sandboxtest.WithControlToken(controlToken))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 32 {
		wg.Go(func() {
			header := []string{}
			want := http.StatusUnauthorized
			if i%2 == 0 {
				header, want = []string{"Authorization", "Bearer " + controlToken}, http.StatusOK
			}
			if a, err := trySend("GET", srv.URL+"/_sandbox/clock", "", header...); err != nil || a.status != want {
				errs <- fmt.Sprint(a.status, " ", a.raw, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
