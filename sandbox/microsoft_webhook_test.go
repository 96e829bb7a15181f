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

// TestAPublishersReceiverVerifiesWebhooksWithAStockOIDCVerifier: a
// publisher's own webhook receiver checks every delivery's bearer JWT with
// go-oidc, built from the sandbox's discovery document as it would be from
// Entra's, and every delivery the sandbox makes for marketplace-side events
// passes: signature, issuer, audience (the publisher's app id), lifetime,
// tid and the fulfillment app as caller.
func TestAPublishersReceiverVerifiesWebhooksWithAStockOIDCVerifier(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	pub, err := srv.MicrosoftPublisher("contoso")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, srv.URL+"/"+pub.TenantID+"/v2.0")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: pub.ClientID})

	var mu sync.Mutex
	var actions, problems []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var payload struct {
			Action string `json:"action"`
			Source string `json:"operationRequestSource"`
		}
		_ = json.Unmarshal(body, &payload)
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		idToken, err := verifier.Verify(r.Context(), raw)
		var claims struct {
			TID   string `json:"tid"`
			AppID string `json:"appid"`
			AZP   string `json:"azp"`
		}
		if err == nil {
			err = idToken.Claims(&claims)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case !ok || err != nil:
			problems = append(problems, payload.Action+": "+r.Header.Get("Authorization")[:min(20, len(r.Header.Get("Authorization")))]+" "+errString(err))
		case claims.TID != pub.TenantID || (claims.AppID != sandboxtest.MicrosoftResource && claims.AZP != sandboxtest.MicrosoftResource):
			problems = append(problems, payload.Action+": claims "+claims.TID+" "+claims.AppID+" "+claims.AZP)
		}
		actions = append(actions, payload.Action+"/"+payload.Source)
		w.WriteHeader(http.StatusOK)
	}))
	defer receiver.Close()
	if a := mustSend(t, http.MethodPatch, srv.URL+"/_sandbox/microsoft/publishers/contoso",
		`{"webhookUrl":"`+receiver.URL+`/hook"}`, "Content-Type", jsonType); a.status != 200 {
		t.Fatalf("patch publisher: %d %s", a.status, a.raw)
	}
	fx := fixtures.Default().Microsoft.Publishers[0]
	sub := activeSubscription(t, srv.URL, fx)
	events := srv.URL + "/_sandbox/microsoft/subscriptions/" + sub + "/events"
	for _, action := range []string{"Suspend", "Reinstate"} {
		if a := mustSend(t, http.MethodPost, events, `{"action":"`+action+`"}`, "Content-Type", jsonType); a.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", action, a.status, a.raw)
		}
		mustSend(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1s"}`, "Content-Type", jsonType)
	}
	mustSend(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"1m"}`, "Content-Type", jsonType)
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 || strings.Join(actions, ",") != "Suspend/Azure,Reinstate/Azure" {
		t.Errorf("deliveries %v; verification problems %v", actions, problems)
	}
	entries := mustSend(t, http.MethodGet, srv.URL+"/_sandbox/journal?api=microsoft&direction=outbound", "")
	if n := len(entries.body["entries"].([]any)); n != 2 {
		t.Errorf("%d outbound journal entries: %s", n, entries.raw)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
