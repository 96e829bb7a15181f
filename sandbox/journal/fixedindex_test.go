package journal

import (
	"slices"
	"strings"
	"testing"
)

// TestFixedIndexFindsWhatContainsFinds compares the index with a
// strings.Contains per secret: at the start, the end, overlapping another
// secret's start, a pair that starts a secret without the rest, and none.
func TestFixedIndexFindsWhatContainsFinds(t *testing.T) {
	secrets := []string{"s3cr3t-value-1", "s3cr3t-other", "zz-top-secret", "Bearer-ish-9"}
	x := newFixedIndex(secrets)
	for _, text := range []string{
		"", "s", "s3", "s3cr3t-value-1", "xx s3cr3t-value-1", "s3cr3t-value-1 xx", "s3cr3t-valu", "s3cr3t-othe",
		"s3s3cr3t-other", "zzz-top-secret", "zz-top-secre", "a zz-top-secret b s3cr3t", "Bearer-ish-9Bearer", "no secret here at all",
	} {
		want := slices.ContainsFunc(secrets, func(f string) bool { return strings.Contains(text, f) })
		if got := x.in(text); got != want {
			t.Errorf("in(%q) = %v, want %v", text, got, want)
		}
	}
}

func FuzzFixedIndex(f *testing.F) {
	f.Add("s3cr3t-value-1", "ab", "xs3cr3t-value-1y")
	f.Add("aaaaaaaa", "aaab", "aaaaaaaaa")
	f.Fuzz(func(t *testing.T, one, two, text string) {
		secrets := []string{one, two}
		x := newFixedIndex(secrets)
		want := slices.ContainsFunc(secrets, func(f string) bool { return len(f) >= 2 && strings.Contains(text, f) })
		if got := x.in(text); got != want {
			t.Fatalf("in(%q) with %q = %v, want %v", text, secrets, got, want)
		}
	})
}
