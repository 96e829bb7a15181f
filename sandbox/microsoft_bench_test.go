package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// BenchmarkWebhookDeliveries measures Microsoft's webhooks end to end in
// one sandbox: each iteration is a marketplace event (Suspend, then
// Reinstate) whose webhook is signed (RS256, a fresh JWT per attempt),
// posted over loopback HTTP to the sample publisher, verified there and
// recorded. It reports deliveries per second.
//
//	go test -run '^$' -bench BenchmarkWebhookDeliveries -benchtime 2000x ./sandbox/
func BenchmarkWebhookDeliveries(b *testing.B) {
	srv := sandboxtest.New(b, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	p := fixtures.Default().Microsoft.Publishers[0]
	sub := activeSubscription(b, srv.URL, p)
	events := srv.URL + "/_sandbox/microsoft/subscriptions/" + sub + "/events"
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		action := "Suspend"
		if i%2 == 1 {
			action = "Reinstate"
		}
		if a := mustSend(b, http.MethodPost, events, `{"action":"`+action+`"}`); a.status != http.StatusAccepted {
			b.Fatalf("%s: %d %s", action, a.status, a.raw)
		}
	}
	// On a frozen clock webhooks due now go out with the next advance.
	mustSend(b, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"0s"}`, "Content-Type", jsonType)
	for deliveredTo(b, srv.URL, sub) < b.N {
		if time.Since(start) > time.Minute {
			b.Fatalf("only %d of %d deliveries within a minute", deliveredTo(b, srv.URL, sub), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// activeSubscription buys the team-seats plan for p and activates it.
func activeSubscription(tb testing.TB, base string, p fixtures.Publisher) string {
	tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret},
		"scope": {"20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"}}
	tok := mustSend(tb, http.MethodPost, base+"/"+p.TenantID+"/oauth2/v2.0/token", form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded").body["access_token"].(string)
	purchase := mustSend(tb, http.MethodPost, base+"/_sandbox/microsoft/purchases",
		`{"offerId":"contoso-analytics","planId":"team-seats","quantity":5}`, "Content-Type", jsonType)
	sub := purchase.body["subscriptionId"].(string)
	if a := mustSend(tb, http.MethodPost, base+"/api/saas/subscriptions/"+sub+"/activate?api-version=2018-08-31",
		`{"planId":"team-seats","quantity":5}`, "Authorization", "Bearer "+tok, "Content-Type", jsonType); a.status != 200 {
		tb.Fatalf("activate: %d %s", a.status, a.raw)
	}
	return sub
}

// deliveredTo counts the delivered webhooks of a subscription, walking
// every page of the listing.
func deliveredTo(tb testing.TB, base, sub string) int {
	tb.Helper()
	n := 0
	for path := "/_sandbox/microsoft/webhooks?limit=1000&subscriptionId=" + sub; path != ""; {
		a := mustSend(tb, http.MethodGet, base+path, "")
		var v struct {
			Webhooks []struct {
				Outcome string `json:"outcome"`
			} `json:"webhooks"`
			Next string `json:"next"`
		}
		if err := json.Unmarshal([]byte(a.raw), &v); err != nil {
			tb.Fatal(err)
		}
		for _, w := range v.Webhooks {
			if strings.EqualFold(w.Outcome, "delivered") {
				n++
			}
		}
		path = v.Next
	}
	return n
}

// mustSend is send for tests and benchmarks alike.
func mustSend(tb testing.TB, method, url, body string, header ...string) answer {
	tb.Helper()
	a, err := trySend(method, url, body, header...)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}
