// Package gitlabpartner is a marketplace partner's integration with
// GitLab's Customers Portal: it takes an OAuth client-credentials token,
// places orders and polls them until they settle (the flow of GitLab's
// "Marketplace partners" page, docs/gitlab.md). It is the code behind the
// reference clients gitlab-good (the zero Habits: what certification
// expects) and gitlab-naive (each bad habit switched on by a flag, so one
// can be planted alone and the sandbox's report shows what it costs).
package gitlabpartner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Env is the environment a session gives a GitLab partner's command
// (contract of issue #14): where the portal is and the partner's
// credentials, trading partner and product.
type Env struct {
	PortalURL        string // GITLAB_PORTAL_URL: /oauth/token and /api/v1/... are under it
	ClientID         string // GITLAB_CLIENT_ID
	ClientSecret     string // GITLAB_CLIENT_SECRET
	Scopes           []string
	TradingPartnerID string // GITLAB_TRADING_PARTNER_ID
	ProductID        string // GITLAB_PRODUCT_ID
}

// LoadEnv reads Env through getenv, naming every variable missing.
func LoadEnv(getenv func(string) string) (Env, error) {
	e := Env{
		PortalURL: strings.TrimRight(getenv("GITLAB_PORTAL_URL"), "/"), ClientID: getenv("GITLAB_CLIENT_ID"),
		ClientSecret: getenv("GITLAB_CLIENT_SECRET"), Scopes: strings.Fields(getenv("GITLAB_SCOPES")),
		TradingPartnerID: getenv("GITLAB_TRADING_PARTNER_ID"), ProductID: getenv("GITLAB_PRODUCT_ID"),
	}
	var missing []string
	for name, v := range map[string]string{
		"GITLAB_PORTAL_URL": e.PortalURL, "GITLAB_CLIENT_ID": e.ClientID, "GITLAB_CLIENT_SECRET": e.ClientSecret,
		"GITLAB_SCOPES": strings.Join(e.Scopes, " "), "GITLAB_TRADING_PARTNER_ID": e.TradingPartnerID,
		"GITLAB_PRODUCT_ID": e.ProductID,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("missing environment: %s", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return e, nil
}

// Habits are the bad habits certification looks for. The zero value is
// a well-behaved client.
type Habits struct {
	// TokenPerCall fetches a new token before every API call instead of
	// reusing one until it nears expiry.
	TokenPerCall bool
	// IgnoreRetryAfter retries a 429 / 503 on the client's own schedule,
	// sooner than the server asked.
	IgnoreRetryAfter bool
	// NoBackoff retries at once, every time.
	NoBackoff bool
	// RecreateOnRetry gives a create retried after a failure a new
	// externalSubscriptionId: one order may become two subscriptions.
	RecreateOnRetry bool
	// TightPoll polls an order's status without pausing.
	TightPoll bool
	// PollAfterFinal keeps polling an order a few times after it reached
	// Provisioned or Failed.
	PollAfterFinal bool
}

// Options is one run.
type Options struct {
	Orders int
	// IDPrefix starts every externalSubscriptionId; a sandbox magic
	// value (sandbox-zuora-decline) makes the orders fail.
	IDPrefix string
	// FailOnFailed makes a Failed order an error (ErrOrderFailed).
	FailOnFailed bool
	Habits       Habits
	// HTTPClient makes every request (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Out gets one line per order.
	Out io.Writer
}

// ErrOrderFailed is returned when an order ended Failed and
// Options.FailOnFailed is set.
var ErrOrderFailed = errors.New("an order ended Failed")

// Result is where one order ended.
type Result struct {
	ExternalID, Status, SubscriptionNumber, FailureReason string
	Polls                                                 int
}

// Run places o.Orders orders at once and polls each until it settles. It
// prints one line per order, in order, and fails when an order did not
// reach a final state (or, with FailOnFailed, when one Failed).
func Run(ctx context.Context, env Env, o Options) error {
	if o.Orders < 1 {
		return fmt.Errorf("-orders must be at least 1, not %d", o.Orders)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	c := newPortal(ctx, env, o.Habits, o.HTTPClient)
	prefix := o.IDPrefix
	if prefix == "" {
		prefix = "order"
	}
	run := newRunID()
	results := make([]Result, o.Orders)
	errs := make([]error, o.Orders)
	done := make(chan int)
	for i := range o.Orders {
		go func() {
			results[i], errs[i] = c.order(ctx, fmt.Sprintf("%s-%s-%d", prefix, run, i+1))
			done <- i
		}()
	}
	for range o.Orders {
		<-done
	}
	failed := false
	for i, r := range results {
		switch {
		case errs[i] != nil:
			fmt.Fprintf(o.Out, "order %s: %v\n", r.ExternalID, errs[i])
		case r.Status == statusFailed:
			failed = true
			fmt.Fprintf(o.Out, "order %s: Failed (%s) after %d polls\n", r.ExternalID, r.FailureReason, r.Polls)
		default:
			fmt.Fprintf(o.Out, "order %s: %s %s after %d polls\n", r.ExternalID, r.Status, r.SubscriptionNumber, r.Polls)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if failed && o.FailOnFailed {
		return ErrOrderFailed
	}
	return nil
}

// Start is what the commands' run does: read the environment through
// getenv and Run within timeout.
func Start(ctx context.Context, getenv func(string) string, timeout time.Duration, o Options) error {
	env, err := LoadEnv(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return Run(ctx, env, o)
}
