package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestTheGoodPublisherIsCertified: in a session of the
// microsoft-publisher suite (a busy token service, a 429 on activate,
// duplicated, delayed and forged webhooks, a ChangeQuantity to ACK) the
// well-behaved publisher passes every verdict, each one exercised.
func TestTheGoodPublisherIsCertified(t *testing.T) {
	srv := sandboxtest.New(t)
	sess := clienttest.PublisherSession(t, srv, 11)
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"-metered-plan", "metered"}, func(k string) string { return sess.Env[k] }, &out, &errs); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	rep := sess.RequireCertified(t)
	if failed, idle := clienttest.Verdicts(rep); len(failed)+len(idle) > 0 {
		t.Errorf("failed %v, not exercised %v\n%s", failed, idle, out.String())
	}
}
