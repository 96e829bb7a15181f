package requestid_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestMiddlewareSpeaksEachAPIsHeaders: a request for an API with its own
// request-id header keeps the id it sent there, is answered in that header
// and in X-Request-Id, and gets a UUID when it sent none.
func TestMiddlewareSpeaksEachAPIsHeaders(t *testing.T) {
	var seen string
	h := requestid.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = requestid.From(r.Context())
	}), requestid.WithHeaders(func(r *http.Request) []string {
		if r.URL.Path == "/ms" {
			return []string{"x-ms-requestid"}
		}
		return nil
	}))
	for _, c := range []struct {
		name, path, header, value string
		check                     func(id string) bool
	}{
		{"own header kept", "/ms", "x-ms-requestid", "2f8d3c0e-1111-4222-8333-444455556666", func(id string) bool { return id == "2f8d3c0e-1111-4222-8333-444455556666" }},
		{"X-Request-Id read too", "/ms", "X-Request-Id", "abc-1", func(id string) bool { return id == "abc-1" }},
		{"made as a UUID", "/ms", "", "", uuid.MatchString},
		{"a hostile id is replaced", "/ms", "x-ms-requestid", "a b\r\nc", uuid.MatchString},
		{"plain API: hex", "/plain", "", "", regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.header != "" {
				req.Header[http.CanonicalHeaderKey(c.header)] = []string{c.value}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !c.check(seen) || rec.Header().Get("X-Request-Id") != seen {
				t.Errorf("id %q, X-Request-Id %q", seen, rec.Header().Get("X-Request-Id"))
			}
			if c.path == "/ms" && rec.Header().Get("x-ms-requestid") != seen {
				t.Errorf("x-ms-requestid %q, want %q", rec.Header().Get("x-ms-requestid"), seen)
			}
		})
	}
}

// TestNewUUIDIsAVersion4GUID: Microsoft's ids (request, correlation,
// subscription, operation) are lower-case version-4 GUIDs, and no two
// are alike.
func TestNewUUIDIsAVersion4GUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := requestid.NewUUID()
		if !uuid.MatchString(id) {
			t.Fatalf("NewUUID() = %q, not a version-4 GUID", id)
		}
		if seen[id] {
			t.Fatalf("NewUUID() gave %q twice", id)
		}
		seen[id] = true
	}
}
