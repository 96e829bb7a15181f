package sandbox_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// A test starts the sandbox with a frozen clock, takes a token as the
// default partner, and moves time on instead of waiting for it.
func ExampleRun() {
	ctx := context.Background()
	ctr, err := sandbox.Run(ctx, "marketplace-sandbox:dev",
		sandbox.WithFrozenClock(time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)),
	)
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Printf("start the sandbox: %v", err)
		return
	}

	token, err := ctr.Token(ctx, sandbox.DefaultPartner, sandbox.ScopeRead)
	if err != nil {
		log.Printf("token: %v", err)
		return
	}
	fmt.Println("token issued:", token != "")

	clock, err := ctr.Advance(ctx, 2*time.Hour)
	if err != nil {
		log.Printf("advance: %v", err)
		return
	}
	fmt.Println("sandbox time:", clock.Now.Format(time.RFC3339))

	// Output:
	// token issued: true
	// sandbox time: 2030-01-01T02:00:00Z
}

// A test's own calls keep working across clock advances through
// Container.Client, whose token cache follows the sandbox clock (it reads
// GET /_sandbox/clock): a stock clientcredentials client would send its
// expired token after the advance and get 401.
func ExampleContainer_Client() {
	ctx := context.Background()
	ctr, err := sandbox.Run(ctx, "marketplace-sandbox:dev", sandbox.WithFrozenClock(time.Time{}))
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Printf("start the sandbox: %v", err)
		return
	}
	base, err := ctr.URL(ctx)
	if err != nil {
		log.Printf("url: %v", err)
		return
	}
	client := ctr.Client(ctx, sandbox.DefaultPartner, sandbox.ScopeRead)
	read := func() int {
		resp, err := client.Get(base + "/api/v1/marketplace/subscriptions/no-such-order")
		if err != nil {
			log.Printf("get: %v", err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println("before:", read()) // 404: authenticated, the order does not exist
	if _, err := ctr.Advance(ctx, 3*time.Hour); err != nil {
		log.Printf("advance: %v", err)
		return
	}
	fmt.Println("3h later:", read()) // still 404, not 401: a new token was fetched

	// Output:
	// before: 404
	// 3h later: 404
}
