package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMicrosoftQueriesKeepSemicolonsInValues: the sandbox's middleware let
// a ';' through to the fulfillment API, whose api-version check then
// refused the whole query with "The query string is malformed." (Go's
// url.ParseQuery refuses ';' since Go 1.17), while the other handlers,
// reading r.URL.Query(), silently dropped the pair. Now every fulfillment
// and metering handler reads the query as Microsoft's ASP.NET service
// does: '&' separates pairs and a ';' is part of its value. The control
// API still refuses a ';' in its own envelope.
func TestMicrosoftQueriesKeepSemicolonsInValues(t *testing.T) {
	srv := frozen(t)
	tok, err := srv.MicrosoftToken("contoso")
	if err != nil {
		t.Fatal(err)
	}
	sub := mustSend(t, http.MethodPost, srv.URL+"/_sandbox/microsoft/purchases",
		`{"offerId":"contoso-analytics","planId":"basic"}`, "Content-Type", jsonType).body["subscriptionId"].(string)
	base := srv.URL + "/api/saas/subscriptions"
	cases := []struct {
		name, url  string
		wantStatus int
		wantCode   string
		wantText   string
	}{
		{"api-version followed by ';'", base + "?api-version=2018-08-31;x=1", 400, "UnsupportedApiVersion",
			"Unsupported api-version '2018-08-31;x=1'. The supported api-versions are '2018-08-31'. A ';' does not separate query parameters: separate them with '&'."},
		{"a ';' inside another parameter", base + "?x=1;y=2&api-version=2018-08-31", 200, "", ""},
		{"a ';' in a continuationToken", base + "?api-version=2018-08-31&continuationToken=a;b", 400, "BadRequest", "The continuationToken is invalid"},
		{"a ';' in planId is part of the plan id", base + "/" + sub + "/listAvailablePlans?api-version=2018-08-31&planId=basic;x", 200, "", `{"plans":[]}`},
		{"the same, escaped", base + "/" + sub + "/listAvailablePlans?api-version=2018-08-31&planId=basic%3Bx", 200, "", `{"plans":[]}`},
		{"the plan itself", base + "/" + sub + "/listAvailablePlans?api-version=2018-08-31&planId=basic", 200, "", `"planId":"basic"`},
		{"metering", srv.URL + "/api/usageEvents?api-version=2018-08-31&usageStartDate=2030-01-01;x", 400, "BadArgument", ""},
		{"a bad escape", base + "?api-version=2018-08-31&a=%zz", 400, "BadRequest", "could not be parsed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustSend(t, http.MethodGet, tc.url, "", "Authorization", "Bearer "+tok)
			text := a.raw
			if msg, ok := a.body["message"].(string); ok {
				text = msg
			}
			if a.status != tc.wantStatus || (tc.wantCode != "" && a.body["code"] != tc.wantCode) || !strings.Contains(text, tc.wantText) {
				t.Fatalf("%d %s, want %d %s %q", a.status, a.raw, tc.wantStatus, tc.wantCode, tc.wantText)
			}
		})
	}
	t.Run("the control API refuses a ';'", func(t *testing.T) {
		a := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/subscriptions?publisherId=contoso;x", "")
		if a.status != 400 || a.body["error"] != "invalid_request" || !strings.Contains(a.raw, "semicolon") {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
}
