package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// microsoftHandler builds a sandbox with a frozen clock and returns its
// handler, a publisher's v2 token and a subscription bought for it, with
// no network in between.
func microsoftHandler(tb testing.TB, change func(*sandbox.Config)) (h http.Handler, token, sub string) {
	tb.Helper()
	h = frozenHandler(tb, change)
	p := fixtures.Default().Microsoft.Publishers[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret},
		"scope": {"20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"}}
	tokenAnswer := serve(tb, h, http.MethodPost, "/"+p.TenantID+"/oauth2/v2.0/token", form.Encode(), "Content-Type", formType)
	token = strings.Split(strings.Split(tokenAnswer, `"access_token":"`)[1], `"`)[0]
	purchase := serve(tb, h, http.MethodPost, "/_sandbox/microsoft/purchases",
		`{"offerId":"contoso-analytics","planId":"team-seats","quantity":5}`, "Content-Type", jsonType)
	sub = strings.Split(strings.Split(purchase, `"subscriptionId":"`)[1], `"`)[0]
	return h, token, sub
}

// serve sends one request to h and returns the answer's body, failing
// on anything but a 2xx.
func serve(tb testing.TB, h http.Handler, method, target, body string, header ...string) string {
	tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		tb.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// BenchmarkMicrosoftGetSubscription measures a publisher's GET of one
// subscription (Entra token checked, the 956-byte answer, the journal
// entry), the call that load-microsoft.sh compares with a bare handler,
// with and without the journal.
//
//	go test -run '^$' -bench BenchmarkMicrosoftGetSubscription -benchmem ./sandbox/
func BenchmarkMicrosoftGetSubscription(b *testing.B) {
	for _, tc := range journalModes {
		b.Run(tc.name, func(b *testing.B) {
			h, token, sub := microsoftHandler(b, tc.change)
			target := "/api/saas/subscriptions/" + sub + "?api-version=2018-08-31"
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
