// Command microsoft-naive is the Microsoft reference publisher with bad
// habits, each behind a flag (all on by default) so that one can be
// planted alone: -token-per-call, -no-jwt-check, -no-dedupe,
// -no-get-operation, -encoded-token, -activate-twice, -slow-ack (15 s),
// -double-meter. With every flag false it behaves as microsoft-good. See
// examples/clients/README.md.
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
	fs := flag.NewFlagSet("microsoft-naive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 20*time.Second, "run at most this long")
	quantity := fs.Int("quantity", 5, "seats the customer buys on the per-seat plan")
	metered := fs.String("metered-plan", "", "also buy, activate and meter this plan")
	var h publisher.Habits
	fs.BoolVar(&h.TokenPerCall, "token-per-call", true, "a new Entra token before every API call")
	fs.BoolVar(&h.NoJWTCheck, "no-jwt-check", true, "act on webhooks without verifying their JWT")
	fs.BoolVar(&h.NoDedupe, "no-dedupe", true, "act on every delivery of a webhook")
	fs.BoolVar(&h.NoGetOperation, "no-get-operation", true, "act on the webhook's body without Get Operation")
	fs.BoolVar(&h.EncodedToken, "encoded-token", true, "resolve with the landing token still URL-encoded (then decoded, after the 400)")
	fs.BoolVar(&h.ActivateTwice, "activate-twice", true, "activate each subscription twice")
	fs.BoolVar(&h.SlowAck, "slow-ack", true, "acknowledge 15 s after the webhook")
	fs.BoolVar(&h.DoubleMeter, "double-meter", true, "post each usage event twice")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := publisher.Start(ctx, getenv, publisher.Options{
		Duration: *duration, Quantity: *quantity, MeteredPlan: *metered, Habits: h, Out: stdout,
	}); err != nil {
		fmt.Fprintln(stderr, "microsoft-naive:", err)
		return 1
	}
	return 0
}
