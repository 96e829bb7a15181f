package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// TestRun follows one order through a sandbox started with the defaults.
func TestRun(t *testing.T) {
	t.Parallel()
	ctr := requireSandbox(t)
	ctx := t.Context()

	t.Run("runs as an unprivileged user, published on loopback only", func(t *testing.T) {
		info, err := ctr.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.User != "65532:65532" {
			t.Errorf("user = %q, want 65532:65532", info.Config.User)
		}
		for port, bindings := range info.NetworkSettings.Ports {
			for _, b := range bindings {
				if !b.HostIP.IsLoopback() {
					t.Errorf("%s is published on %s, want loopback", port, b.HostIP)
				}
			}
		}
	})

	t.Run("the default partner is known", func(t *testing.T) {
		partners, err := ctr.Partners(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(partners, func(p sandbox.Partner) bool { return p.ClientID == sandbox.DefaultPartner.ClientID }) {
			t.Errorf("partners %+v lack %s", partners, sandbox.DefaultPartner.ClientID)
		}
	})

	token := mustToken(t, ctr, sandbox.DefaultPartner, sandbox.ScopeCreate)
	const id = "tc-order-1"

	t.Run("an order is provisioned once the clock passes the Zuora callout", func(t *testing.T) {
		createOrder(t, ctr, token, id)
		if got := orderStatus(t, ctr, token, id); got != "Created" {
			t.Fatalf("status right after creation = %s, want Created", got)
		}
		st, err := ctr.Advance(ctx, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if st.Fired == 0 {
			t.Errorf("advance fired no job; pending: %+v", st.Pending)
		}
		if got := orderStatus(t, ctr, token, id); got != "Provisioned" {
			t.Errorf("status after the callout = %s, want Provisioned", got)
		}
	})

	t.Run("reset forgets orders and tokens", func(t *testing.T) {
		if err := ctr.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := mustToken(t, ctr, sandbox.DefaultPartner, sandbox.ScopeRead)
		if got := orderStatus(t, ctr, fresh, id); got != "404" {
			t.Errorf("status after reset = %s, want 404", got)
		}
		if got := orderStatus(t, ctr, token, id); got != "401" {
			t.Errorf("old token after reset: status %s, want 401", got)
		}
	})

	t.Run("a negative advance is refused", func(t *testing.T) {
		if _, err := ctr.Advance(ctx, -time.Minute); err == nil {
			t.Error("advance by -1m succeeded")
		}
	})
}

// TestRunWithOptions starts a sandbox with a configuration file, a fixtures
// file and a frozen clock, and checks that each took effect.
func TestRunWithOptions(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	ctr := requireSandbox(t,
		sandbox.WithConfigFile("testdata/config.yaml"),
		sandbox.WithFixturesFile("testdata/fixtures.yaml"),
		sandbox.WithFrozenClock(start),
	)
	ctx := t.Context()

	t.Run("the clock is frozen at the given start", func(t *testing.T) {
		st, err := ctr.Clock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode != "frozen" || !st.Now.Equal(start) {
			t.Errorf("clock = %s at %s, want frozen at %s", st.Mode, st.Now, start)
		}
	})

	acme := sandbox.Partner{ClientID: "acme-client", ClientSecret: "acme-secret"}
	t.Run("the partners come from the fixtures file", func(t *testing.T) {
		partners, err := ctr.Partners(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(partners) != 1 || partners[0].ClientID != acme.ClientID {
			t.Errorf("partners = %+v, want only %s", partners, acme.ClientID)
		}
		if _, err := ctr.Token(ctx, sandbox.DefaultPartner, sandbox.ScopeRead); err == nil {
			t.Error("the default partner still gets tokens")
		}
	})

	t.Run("tokens live as long as the configuration file says", func(t *testing.T) {
		token := mustToken(t, ctr, acme, sandbox.ScopeRead)
		if got := orderStatus(t, ctr, token, "unknown"); got != "404" {
			t.Fatalf("fresh token: status %s, want 404", got)
		}
		if _, err := ctr.Advance(ctx, time.Minute+time.Second); err != nil {
			t.Fatal(err)
		}
		if got := orderStatus(t, ctr, token, "unknown"); got != "401" {
			t.Errorf("token after 1m1s: status %s, want 401 (expired)", got)
		}
	})
}

func mustToken(t *testing.T, ctr *sandbox.Container, p sandbox.Partner, scope string) string {
	t.Helper()
	token, err := ctr.Token(t.Context(), p, scope)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// createOrder places an order for the default partner's trading partner.
func createOrder(t *testing.T, ctr *sandbox.Container, token, id string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"externalSubscriptionId": id,
		"tradingPartnerId":       sandbox.DefaultPartner.TradingPartnerIDs[0],
		"customer": map[string]any{
			"companyName": "Example Corp",
			"contact":     map[string]string{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
			"address":     map[string]string{"country": "GB"},
		},
		"orderLines": []map[string]any{{"productId": "2c92a00d76f0d5060176f2fb0a5029ff", "quantity": 5}},
	})
	resp := send(t, ctr, http.MethodPost, "/api/v1/marketplace/subscriptions", token, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %s", id, resp.Status)
	}
}

// orderStatus is the order's status, or the HTTP status code when the
// sandbox answers with an error.
func orderStatus(t *testing.T, ctr *sandbox.Container, token, id string) string {
	t.Helper()
	resp := send(t, ctr, http.MethodGet, "/api/v1/marketplace/subscriptions/"+id, token, nil)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprint(resp.StatusCode)
	}
	var sub struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sub); err != nil {
		t.Fatal(err)
	}
	return sub.Status
}

func send(t *testing.T, ctr *sandbox.Container, method, path, token string, body []byte) *http.Response {
	t.Helper()
	base, err := ctr.URL(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
