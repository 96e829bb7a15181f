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
