package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestForgedWebhooksFailAStockVerifierAndChangeNothing: a webhook rule
// with forge sends, after the real webhook, a copy that a publisher's
// go-oidc verifier refuses (a broken signature, another app's audience),
// naming an operation that does not exist; the publisher's 401 to it
// changes nothing, it is sent once, and the journal marks it.
func TestForgedWebhooksFailAStockVerifierAndChangeNothing(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	pub, err := srv.MicrosoftPublisher("contoso")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(context.Background(), srv.URL+"/"+pub.TenantID+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: pub.ClientID})
	var mu sync.Mutex
	verdicts := map[string][]string{} // operation id → "ok" / "refused"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var payload struct{ ID, Action string }
		_ = json.Unmarshal(body, &payload)
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, err := verifier.Verify(r.Context(), raw)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			verdicts[payload.ID] = append(verdicts[payload.ID], "refused")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		verdicts[payload.ID] = append(verdicts[payload.ID], "ok")
	}))
	defer receiver.Close()
	mustSend(t, http.MethodPatch, srv.URL+"/_sandbox/microsoft/publishers/contoso", `{"webhookUrl":"`+receiver.URL+`/hook"}`, "Content-Type", jsonType)
	rules := srv.URL + "/_sandbox/microsoft/webhooks/rules"
	for _, body := range []string{`{"action":"ChangeQuantity","forge":"signature","times":1}`, `{"action":"Suspend","forge":"audience","times":1}`} {
		if a := mustSend(t, http.MethodPost, rules, body, "Content-Type", jsonType); a.status != http.StatusCreated {
			t.Fatalf("rule %s: %d %s", body, a.status, a.raw)
		}
	}
	for _, tc := range []struct{ body, says string }{
		{`{"forge":"everything"}`, "everything"},
		{`{"forge":"signature","drop":true}`, "dropped"},
		{`{"forge":true}`, "forge"},
	} {
		if a := mustSend(t, http.MethodPost, rules, tc.body, "Content-Type", jsonType); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.raw, tc.says) {
			t.Errorf("rule %s: %d %s, want 422 naming %q", tc.body, a.status, a.raw, tc.says)
		}
	}
	sub := activeSubscription(t, srv.URL, fixtures.Default().Microsoft.Publishers[0])
	events := srv.URL + "/_sandbox/microsoft/subscriptions/" + sub + "/events"
	advance := func() {
		mustSend(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1m"}`, "Content-Type", jsonType)
	}
	if a := mustSend(t, http.MethodPost, events, `{"action":"ChangeQuantity","quantity":3}`, "Content-Type", jsonType); a.status != http.StatusAccepted {
		t.Fatalf("ChangeQuantity: %d %s", a.status, a.raw)
	}
	advance()
	// The ACK window passes: the real ChangeQuantity is accepted, the
	// forged copy's 401 did not refuse it.
	mustSend(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"24h"}`, "Content-Type", jsonType)
	if a := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/microsoft/subscriptions/"+sub, ""); !strings.Contains(a.raw, `"quantity":3`) {
		t.Errorf("the forged copy's refusal changed the real operation: %s", a.raw)
	}
	if a := mustSend(t, http.MethodPost, events, `{"action":"Suspend"}`, "Content-Type", jsonType); a.status != http.StatusAccepted {
		t.Fatalf("Suspend: %d %s", a.status, a.raw)
	}
	advance()
	advance()
	mu.Lock()
	defer mu.Unlock()
	real, forged := 0, 0
	for id, seen := range verdicts {
		switch strings.Join(seen, ",") {
		case "ok":
			real++
		case "refused":
			forged++
		default:
			t.Errorf("operation %s was delivered %v", id, seen)
		}
	}
	if real != 2 || forged != 2 {
		t.Errorf("%d real and %d forged operations delivered, want 2 and 2: %v", real, forged, verdicts)
	}
	entries := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/journal?api=microsoft&direction=outbound", "")
	marked := map[string]int{}
	for _, e := range entries.body["entries"].([]any) {
		if f, ok := e.(map[string]any)["fault"].(map[string]any); ok {
			marked[f["effect"].(string)]++
		}
	}
	if marked["forge:signature"] != 1 || marked["forge:audience"] != 1 {
		t.Errorf("journal marks %v, want one forge:signature and one forge:audience", marked)
	}
}
