package main

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/examples/clients/internal/clienttest"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestEachPublisherHabitFailsItsVerdicts: each bad habit planted alone in
// an otherwise good publisher fails exactly the verdicts about it (the
// sessions run side by side on one sandbox); with none it passes all.
func TestEachPublisherHabitFailsItsVerdicts(t *testing.T) {
	srv := sandboxtest.New(t)
	habits := []string{"token-per-call", "no-jwt-check", "no-dedupe", "no-get-operation", "encoded-token", "activate-twice", "slow-ack", "double-meter"}
	for _, tc := range []struct {
		habit string
		fails []string
		// idle may be not exercised: a slow ACK comes after the app
		// stopped, so there is no action to see a Get Operation before.
		idle []string
	}{
		{"", nil, nil},
		{"token-per-call", []string{"token-reused"}, nil},
		{"no-jwt-check", []string{"forged-signature-refused", "wrong-audience-refused"}, nil},
		{"no-dedupe", []string{"duplicate-acted-once"}, nil},
		{"no-get-operation", []string{"get-operation-first"}, nil},
		{"encoded-token", []string{"resolve-decoded"}, nil},
		{"activate-twice", []string{"activate-once"}, nil},
		{"slow-ack", []string{"ack-within-10s"}, []string{"get-operation-first"}},
		{"double-meter", []string{"metering-once-an-hour"}, nil},
	} {
		t.Run("habit "+tc.habit, func(t *testing.T) {
			t.Parallel()
			sess := clienttest.PublisherSession(t, srv, 11)
			args := []string{"-metered-plan", "metered"}
			for _, h := range habits {
				args = append(args, "-"+h+"="+map[bool]string{true: "true", false: "false"}[h == tc.habit])
			}
			var out, errs bytes.Buffer
			code := run(context.Background(), args, func(k string) string { return sess.Env[k] }, &out, &errs)
			rep, err := sess.Report()
			if err != nil {
				t.Fatal(err)
			}
			failed, idle := clienttest.Verdicts(rep)
			if !slices.Equal(failed, tc.fails) || !slices.Equal(idle, tc.idle) {
				t.Errorf("failed %v and not exercised %v, want %v and %v (exit %d)\n%s", failed, idle, tc.fails, tc.idle, code, out.String())
			}
		})
	}
}
