package sandbox_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// everyMethod is what a client may send; CONNECT is left out, since Go's
// client sends it in authority form, to no path.
var everyMethod = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}

// microsoftRoutes reads the Microsoft rows of the README's routes table
// (which TestReadmeListsEveryRoute keeps equal to the routes.go files):
// each path with the methods it is served for.
func microsoftRoutes(t *testing.T) map[string][]string {
	t.Helper()
	row := regexp.MustCompile("(?m)^\\| `(/[^`]*)` \\| ([A-Z, ]+) \\|")
	out := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(section(t, readRepoFile(t, "README.md"), "## Routes and limits"), -1) {
		path := m[1]
		if strings.HasPrefix(path, "/api/saas/") || strings.HasPrefix(path, "/api/usage") || strings.HasPrefix(path, "/api/batchUsage") ||
			strings.HasPrefix(path, "/_sandbox/microsoft/") || path == "/_sandbox/openapi/microsoft.yaml" {
			out[path] = strings.Split(strings.ReplaceAll(m[2], " ", ""), ",")
		}
	}
	if len(out) < 25 {
		t.Fatalf("found only %d Microsoft routes in the README; the pattern no longer matches its table", len(out))
	}
	return out
}

// concrete fills a route's variables with ids of the right shape.
func concrete(path string) string {
	return strings.NewReplacer("{subscriptionId}", "0f8fad5b-d9cb-469f-a165-70867728950e",
		"{operationId}", "7c9e6679-7425-40de-944b-e07fc1f90ae7", "{id}", "x1").Replace(path)
}

// TestMicrosoftWrongMethodsAre405WithAllow walks every fulfillment,
// metering and control route of the Microsoft marketplace with every
// method: a method the route does not serve is 405 with Allow naming
// exactly the ones it does, in the envelope of the path's owner
// (Microsoft's {code, message, target, details} under /api, the control
// API's under /_sandbox). GET, PATCH and DELETE on /resolve were routed
// as a subscription named "resolve" and answered 404.
func TestMicrosoftWrongMethodsAre405WithAllow(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	for path, allowed := range microsoftRoutes(t) {
		slices.Sort(allowed)
		wantAllow := strings.Join(allowed, ", ")
		url := srv.URL + concrete(path)
		if strings.HasPrefix(path, "/api/") {
			url += "?api-version=2018-08-31"
		}
		for _, method := range everyMethod {
			t.Run(method+" "+path, func(t *testing.T) {
				a := mustSend(t, method, url, "")
				if slices.Contains(allowed, method) {
					if a.status == http.StatusMethodNotAllowed {
						t.Fatalf("a served method answered 405: %s", a.raw)
					}
					return
				}
				if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != wantAllow {
					t.Fatalf("%d Allow %q, want 405 Allow %q: %s", a.status, a.header.Get("Allow"), wantAllow, a.raw)
				}
				if method == http.MethodHead {
					return // no body
				}
				if strings.HasPrefix(path, "/api/") {
					if a.body["code"] != "MethodNotAllowed" || a.body["target"] != "method" || a.body["details"] == nil ||
						!strings.Contains(a.body["message"].(string), method) || a.header.Get("x-ms-requestid") == "" {
						t.Errorf("not Microsoft's envelope: %s", a.raw)
					}
					return
				}
				if a.body["error"] != "method_not_allowed" || a.body["request_id"] == "" {
					t.Errorf("not the control envelope: %s", a.raw)
				}
			})
		}
	}
}
