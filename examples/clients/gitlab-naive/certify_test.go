package main

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// TestEachHabitFailsItsVerdicts: each bad habit planted alone in an
// otherwise good client fails exactly the verdicts about it, in a session
// of its own beside the others (the sessions run in parallel on one
// sandbox); with no habit the client passes everything.
func TestEachHabitFailsItsVerdicts(t *testing.T) {
	srv := sandboxtest.New(t)
	for _, tc := range []struct {
		habit string
		fails []string
	}{
		{"", nil},
		// A token per call asks the token service again from each call,
		// also while it said Retry-After, at once.
		{"token-per-call", []string{"token-reused", "retry-after-honoured", "backoff"}},
		{"ignore-retry-after", []string{"retry-after-honoured"}},
		{"no-backoff", []string{"backoff"}},
		{"recreate-on-retry", []string{"create-idempotent"}},
		{"tight-poll", []string{"polling-bounded"}},
		{"poll-after-final", []string{"polling-bounded", "failed-surfaced"}},
	} {
		t.Run("habit "+tc.habit, func(t *testing.T) {
			t.Parallel()
			sess := srv.Session(t, "gitlab", sandboxtest.SessionOptions{Suite: "gitlab-client", Seed: 7})
			var habits []string
			if tc.habit != "" {
				habits = []string{tc.habit}
			}
			var out, errs bytes.Buffer
			code := run(context.Background(), allOff(habits...)[2:], func(k string) string { return sess.Env[k] }, &out, &errs)
			rep, err := sess.Report()
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, v := range rep.Verdicts {
				switch {
				case v.Status == certify.Fail:
					failed = append(failed, v.ID)
				case v.Status == certify.NotExercised && v.ID != "token-renewed":
					t.Errorf("%s not exercised: %s", v.ID, v.Detail)
				}
			}
			if !slices.Equal(failed, tc.fails) {
				t.Errorf("failed %v, want %v (exit %d)\n%s", failed, tc.fails, code, out.String())
				for _, v := range rep.Verdicts {
					if v.Status == certify.Fail {
						t.Logf("%s: %s %+v", v.ID, v.Detail, v.Evidence)
					}
				}
			}
		})
	}
}
