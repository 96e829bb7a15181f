package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const app = "http://localhost:3000"

func withCORS(origins ...string) sandboxtest.Option {
	return sandboxtest.WithConfig(func(c *sandbox.Config) {
		c.CORS.Origins = origins
		c.CORS.MaxAge = 5 * time.Minute
	})
}

// preflight is what a browser sends before a page's POST with a bearer
// token and a JSON body.
func preflight(t *testing.T, url, origin string) answer {
	t.Helper()
	return ask(t, http.MethodOptions, url, "", "Origin", origin, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization, content-type")
}

func TestCORSOffByDefault(t *testing.T) {
	srv := frozen(t)
	if a := preflight(t, srv.URL+"/api/v1/marketplace/subscriptions", app); a.header.Get("Access-Control-Allow-Origin") != "" || a.status == http.StatusNoContent {
		t.Fatalf("a preflight was answered with CORS off: %d %v", a.status, a.header)
	}
	a := ask(t, "GET", srv.URL+"/api/v1/marketplace/subscriptions/x", "", "Origin", app)
	if a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS headers with CORS off: %v", a.header)
	}
}

func TestCORSForTheMarketplaceAPIs(t *testing.T) {
	srv := frozen(t, withCORS(app, "https://console.partner.example"))
	subscriptions := srv.URL + "/api/v1/marketplace/subscriptions"

	t.Run("a preflight from a listed origin", func(t *testing.T) {
		a := preflight(t, subscriptions, app)
		h := a.header
		if a.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != app || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			h.Get("Access-Control-Allow-Headers") != "authorization, content-type" || h.Get("Access-Control-Max-Age") != "300" ||
			!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("%d %v", a.status, h)
		}
	})
	t.Run("the actual request exposes the vendor's headers", func(t *testing.T) {
		tok := token(t, srv, "demo-partner", "demo-secret")
		a := ask(t, "GET", subscriptions+"/no-such-order", "", "Origin", app, "Authorization", "Bearer "+tok)
		if a.header.Get("Access-Control-Allow-Origin") != app {
			t.Fatalf("no CORS on the answer: %v", a.header)
		}
		if exposed := a.header.Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "X-Request-Id") || strings.Contains(exposed, "Content-Type") {
			t.Fatalf("Access-Control-Expose-Headers %q", exposed)
		}
	})
	t.Run("the token endpoint, for a page that fetches its own", func(t *testing.T) {
		a := ask(t, "POST", srv.URL+"/oauth/token", "grant_type=client_credentials&client_id=demo-partner&client_secret=demo-secret&scope=marketplace.order:read",
			"Origin", "https://console.partner.example", "Content-Type", "application/x-www-form-urlencoded")
		if a.status != http.StatusOK || a.header.Get("Access-Control-Allow-Origin") != "https://console.partner.example" {
			t.Fatalf("%d %v", a.status, a.header)
		}
	})
	t.Run("an origin not listed gets no CORS headers", func(t *testing.T) {
		for _, a := range []answer{preflight(t, subscriptions, "http://attacker.example"),
			ask(t, "GET", subscriptions+"/x", "", "Origin", "http://localhost:3001")} {
			if a.header.Get("Access-Control-Allow-Origin") != "" || a.status == http.StatusNoContent {
				t.Fatalf("%d %v", a.status, a.header)
			}
		}
	})
	t.Run("never for the control API", func(t *testing.T) {
		for _, a := range []answer{preflight(t, srv.URL+"/_sandbox/reset", app),
			ask(t, "GET", srv.URL+"/_sandbox/clock", "", "Origin", app),
			ask(t, "GET", srv.URL+"/_sandbox/gitlab/subscriptions", "", "Origin", app)} {
			if a.header.Get("Access-Control-Allow-Origin") != "" || a.status == http.StatusNoContent {
				t.Fatalf("%d %v", a.status, a.header)
			}
		}
	})
	t.Run("a session's marketplace API under its prefix", func(t *testing.T) {
		sess := srv.Session(t, "gitlab", sandboxtest.SessionOptions{})
		prefix := strings.TrimSuffix(sess.ControlURL, "/_sandbox")
		if a := preflight(t, prefix+"/api/v1/marketplace/subscriptions", app); a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != app {
			t.Fatalf("%d %v", a.status, a.header)
		}
		if a := preflight(t, sess.ControlURL+"/clock", app); a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("the session's control API answered CORS: %v", a.header)
		}
	})
}

func TestCORSAnyOrigin(t *testing.T) {
	srv := frozen(t, withCORS("*"))
	a := preflight(t, srv.URL+"/api/saas/subscriptions?api-version=2018-08-31", "http://anything.example:8000")
	if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("%d %v", a.status, a.header)
	}
}
