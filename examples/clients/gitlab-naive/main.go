// Command gitlab-naive is the GitLab reference client with bad habits,
// each behind a flag (all on by default) so that one can be planted
// alone: -token-per-call, -ignore-retry-after, -no-backoff,
// -recreate-on-retry, -tight-poll, -poll-after-final. With every flag
// false it behaves as gitlab-good. Its attempts and polls are bounded, so
// it always ends. The sandbox's certification report shows which
// verdicts each habit fails; see examples/clients/README.md.
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

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitlab-naive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orders := fs.Int("orders", 3, "how many orders to place")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	failOnFailed := fs.Bool("fail-on-failed", false, "exit 3 when an order ends Failed")
	prefix := fs.String("id-prefix", "naive", "start of each externalSubscriptionId")
	var h gitlabpartner.Habits
	fs.BoolVar(&h.TokenPerCall, "token-per-call", true, "fetch a new token before every API call")
	fs.BoolVar(&h.IgnoreRetryAfter, "ignore-retry-after", true, "retry 429 / 503 on its own schedule, not the server's")
	fs.BoolVar(&h.NoBackoff, "no-backoff", true, "retry at once, every time")
	fs.BoolVar(&h.RecreateOnRetry, "recreate-on-retry", true, "retry a failed create with a new externalSubscriptionId")
	fs.BoolVar(&h.TightPoll, "tight-poll", true, "poll 50 times a second")
	fs.BoolVar(&h.PollAfterFinal, "poll-after-final", true, "keep polling a settled order three more times")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	err := gitlabpartner.Start(ctx, getenv, *timeout, gitlabpartner.Options{
		Orders: *orders, IDPrefix: *prefix, FailOnFailed: *failOnFailed, Habits: h, Out: stdout,
	})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gitlabpartner.ErrOrderFailed):
		fmt.Fprintln(stderr, "gitlab-naive:", err)
		return 3
	default:
		fmt.Fprintln(stderr, "gitlab-naive:", err)
		return 1
	}
}
