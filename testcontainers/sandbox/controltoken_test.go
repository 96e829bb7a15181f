package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// TestRunWithAControlToken: the image's control API, open inside its
// container by default, needs the token once one is set; the Container's
// helpers send it, health needs none, and the marketplace API none.
func TestRunWithAControlToken(t *testing.T) {
	t.Parallel()
	const token = "testcontainers-control-token-0123"
	ctr := requireSandbox(t, sandbox.WithControlToken(token))
	ctx := t.Context()
	if ctr.ControlToken() != token {
		t.Fatalf("ControlToken() = %q", ctr.ControlToken())
	}
	if err := ctr.Reset(ctx); err != nil {
		t.Fatalf("reset with the token: %v", err)
	}
	if _, err := ctr.Advance(ctx, 0); err != nil {
		t.Fatalf("advance with the token: %v", err)
	}
	base, err := ctr.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want int
	}{{"/_sandbox/clock", http.StatusUnauthorized}, {"/_sandbox/health", http.StatusOK}} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s without the token: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	mustToken(t, ctr, sandbox.DefaultPartner, sandbox.ScopeRead) // the token endpoint needs no control token
}
