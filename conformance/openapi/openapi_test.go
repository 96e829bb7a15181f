package openapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/openapi"
)

func TestCheckResponse(t *testing.T) {
	c, err := openapi.ForAPI("gitlab")
	if err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name string
		resp openapi.Response
		want string // substring of a failure; "" = valid
	}{
		{"valid subscription", openapi.Response{Method: "GET", Path: "/api/v1/marketplace/subscriptions/x", Status: 200, Header: jsonHeader,
			Body: []byte(`{"externalSubscriptionId":"x","subscriptionNumber":"A-S00000001","status":"Created","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`)}, ""},
		{"missing status", openapi.Response{Method: "GET", Path: "/api/v1/marketplace/subscriptions/x", Status: 200, Header: jsonHeader,
			Body: []byte(`{"externalSubscriptionId":"x","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`)}, "status"},
		{"unknown status value", openapi.Response{Method: "GET", Path: "/api/v1/marketplace/subscriptions/x", Status: 200, Header: jsonHeader,
			Body: []byte(`{"externalSubscriptionId":"x","status":"Active","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`)}, "status"},
		{"bad date-time", openapi.Response{Method: "GET", Path: "/api/v1/marketplace/subscriptions/x", Status: 200, Header: jsonHeader,
			Body: []byte(`{"externalSubscriptionId":"x","status":"Created","createdAt":"yesterday","updatedAt":"2026-01-01T00:00:00Z"}`)}, "createdAt"},
		{"undeclared status code", openapi.Response{Method: "GET", Path: "/api/v1/marketplace/subscriptions/x", Status: 418, Header: jsonHeader,
			Body: []byte(`{}`)}, "418"},
		{"error body without error field", openapi.Response{Method: "POST", Path: "/oauth/token", Status: 401, Header: jsonHeader,
			Body: []byte(`{"message":"no"}`)}, "error"},
		{"short token", openapi.Response{Method: "POST", Path: "/oauth/token", Status: 200, Header: jsonHeader,
			Body: []byte(`{"access_token":"abc","token_type":"Bearer","expires_in":7200,"scope":"s","created_at":1}`)}, "access_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.CheckResponse(tt.resp)
			if tt.want == "" {
				if len(got) > 0 {
					t.Fatalf("unexpected failures: %q", got)
				}
				return
			}
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Fatalf("failures %q, want one mentioning %q", got, tt.want)
			}
			t.Logf("%q", got)
		})
	}
}
