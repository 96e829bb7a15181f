package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// TestClientFollowsSandboxClock is the trap of issue #10 class 3 against
// the real image: past the token lifetime on the sandbox clock a stock
// clientcredentials client is stuck with its expired token (401), while
// Container.Client fetches a new one (200).
func TestClientFollowsSandboxClock(t *testing.T) {
	t.Parallel()
	ctr := requireSandbox(t, sandbox.WithFrozenClock(time.Time{}))
	ctx := t.Context()
	base, err := ctr.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := sandbox.DefaultPartner
	stock := (&clientcredentials.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		TokenURL: base + "/oauth/token", Scopes: []string{sandbox.ScopeRead, sandbox.ScopeCreate},
	}).Client(ctx)
	helper := ctr.Client(ctx, p, sandbox.ScopeRead+" "+sandbox.ScopeCreate)
	createOrder(t, ctr, mustToken(t, ctr, p, sandbox.ScopeCreate), "tc-clock-1")

	read := func(c *http.Client) int {
		t.Helper()
		resp, err := c.Get(base + "/api/v1/marketplace/subscriptions/tc-clock-1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name              string
		advance           time.Duration
		wantStock, wantUs int
	}{
		{"before any advance both read the order", 0, 200, 200},
		{"past the 2h lifetime the stock client gets 401", 3 * time.Hour, 401, 200},
		{"days later the helper still refreshes", 72 * time.Hour, 401, 200},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if _, err := ctr.Advance(ctx, step.advance); err != nil {
				t.Fatal(err)
			}
			if got := read(stock); got != step.wantStock {
				t.Errorf("stock clientcredentials client: %d, want %d", got, step.wantStock)
			}
			if got := read(helper); got != step.wantUs {
				t.Errorf("Container.Client: %d, want %d", got, step.wantUs)
			}
		})
	}
}

// TestRunExplainsFailures: the failures that were a bare timeout name
// their cause and remedy.
func TestRunExplainsFailures(t *testing.T) {
	t.Parallel()
	requireSandboxEngine(t)

	t.Run("an image make image would build is missing", func(t *testing.T) {
		ctr, err := sandbox.Run(t.Context(), "marketplace-sandbox:no-such-tag")
		testcontainers.CleanupContainer(t, ctr)
		if err == nil || !strings.Contains(err.Error(), "make image") {
			t.Fatalf("Run error = %v, want the advice to run make image", err)
		}
	})

	t.Run("a sandbox that never answers health", func(t *testing.T) {
		ctr, err := sandbox.Run(t.Context(), image,
			// It listens on another port than the one probed.
			testcontainers.WithEnv(map[string]string{"SANDBOX_ADDR": "0.0.0.0:9090"}),
			testcontainers.WithWaitStrategy(wait.ForHTTP("/_sandbox/health").WithPort(sandbox.Port).
				WithPollInterval(50*time.Millisecond).WithStartupTimeout(2*time.Second)),
		)
		testcontainers.CleanupContainer(t, ctr)
		if err == nil {
			t.Fatal("Run succeeded, want a health timeout")
		}
		for _, want := range []string{"did not become healthy at http://", "/_sandbox/health", "last log lines", "9090"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Run error lacks %q:\n%v", want, err)
			}
		}
	})
}
