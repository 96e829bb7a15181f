// Command gitlab-good is the well-behaved reference client of GitLab's
// Marketplace API: it places -orders orders and polls each until it is
// Provisioned or Failed, the way the sandbox's certification suite
// expects (one token reused until near expiry and renewed on
// invalid_token; Retry-After honoured; capped, jittered backoff; a create
// retried with the same externalSubscriptionId and body; polling at
// growing, bounded intervals that stops at a final state). It reads the
// GITLAB_* environment a sandbox session hands out; see
// examples/clients/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/gitlabpartner"
)

// Exit codes.
const (
	exitError  = 1 // an order did not settle, or the portal could not be used
	exitUsage  = 2
	exitFailed = 3 // an order ended Failed and -fail-on-failed was given
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitlab-good", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orders := fs.Int("orders", 3, "how many orders to place")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	failOnFailed := fs.Bool("fail-on-failed", false, "exit 3 when an order ends Failed")
	prefix := fs.String("id-prefix", "good", "start of each externalSubscriptionId (a sandbox magic value forces an outcome)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	return finish(stderr, gitlabpartner.Start(ctx, getenv, *timeout, gitlabpartner.Options{
		Orders: *orders, IDPrefix: *prefix, FailOnFailed: *failOnFailed, Out: stdout,
	}))
}

func finish(stderr io.Writer, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gitlabpartner.ErrOrderFailed):
		fmt.Fprintln(stderr, "gitlab-good:", err)
		return exitFailed
	default:
		fmt.Fprintln(stderr, "gitlab-good:", err)
		return exitError
	}
}
