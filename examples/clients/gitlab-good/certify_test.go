package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestTheGoodClientIsCertified: in a session of the gitlab-client suite,
// with every challenge thrown at it (a busy token service, a 429, a
// create cut short, a revoked token, a failed order, a slow back office),
// the well-behaved client passes every verdict, each one exercised.
func TestTheGoodClientIsCertified(t *testing.T) {
	srv := sandboxtest.New(t)
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			certifyGood(t, srv, seed)
		})
	}
}

func certifyGood(t *testing.T, srv *sandboxtest.Server, seed int64) {
	{
		sess := srv.Session(t, "gitlab", sandboxtest.SessionOptions{Suite: "gitlab-client", Seed: seed})
		var out, errs bytes.Buffer
		if code := run(context.Background(), nil, func(k string) string { return sess.Env[k] }, &out, &errs); code != 0 {
			t.Fatalf("seed %d: exit %d\n%s%s", seed, code, out.String(), errs.String())
		}
		rep := sess.RequireCertified(t)
		for _, v := range rep.Verdicts {
			if v.Status != certify.Pass {
				t.Errorf("seed %d: %s is %s: %s", seed, v.ID, v.Status, v.Detail)
			}
		}
	}
}
