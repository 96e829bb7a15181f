// Command microsoft-good is the well-behaved reference publisher of
// Microsoft's SaaS Fulfillment API: it serves a landing page and a
// webhook where MARKETPLACE_LANDING_URL and MARKETPLACE_WEBHOOK_URL say,
// plays the customer who buys the per-seat plan (and -metered-plan), and
// then handles what the marketplace sends, as certification expects: the
// landing token URL-decoded once, one activation, webhooks refused
// unless their JWT verifies (401 / 403), each operation handled once,
// read with Get Operation before acting, changes acknowledged within the
// 10 s window, one usage event per hour and dimension, one cached Entra
// token. It runs for -duration or until the session's challenges have
// all fired. See examples/clients/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/publisher"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("microsoft-good", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 20*time.Second, "run at most this long")
	quantity := fs.Int("quantity", 5, "seats the customer buys on the per-seat plan")
	metered := fs.String("metered-plan", "", "also buy, activate and meter this plan (the default fixtures' is \"metered\")")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := publisher.Start(ctx, getenv, publisher.Options{
		Duration: *duration, Quantity: *quantity, MeteredPlan: *metered, Out: stdout,
	}); err != nil {
		fmt.Fprintln(stderr, "microsoft-good:", err)
		return 1
	}
	return 0
}
