// Package retry is what the reference clients share about waiting before
// they try again: capped exponential backoff with jitter, a bounded number
// of attempts, and the Retry-After header a server sends with 429 and 503
// (RFC 9110 §10.2.3), which always wins over the client's own backoff.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is capped exponential backoff with jitter: the nth retry (from
// 0) waits a random time between half and all of min(Cap, Base·2ⁿ), so
// that many clients failing together do not retry in step.
type Backoff struct {
	Base, Cap time.Duration
	// Attempts bounds the tries of one call, the first included.
	Attempts int
}

// Default is the reference clients' backoff: 250 ms, 500 ms, 1 s, … up
// to 8 s, six tries in all (about 16 s at the most).
var Default = Backoff{Base: 250 * time.Millisecond, Cap: 8 * time.Second, Attempts: 6}

// Delay is how long to wait before retry n (0 for the first retry).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Cap
	if n < 30 && b.Base<<n < b.Cap && b.Base<<n > 0 {
		d = b.Base << n
	}
	half := d / 2
	return half + rand.N(half+1)
}

// MaxRetryAfter caps how long a client honours a Retry-After: a server
// asking for more is treated as down for this run.
const MaxRetryAfter = 2 * time.Minute

// After reads the Retry-After header: delay-seconds or an HTTP-date. ok
// is false when the header is absent or unreadable.
func After(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, MaxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// Sleep waits d or until ctx ends, whichever is first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retryable says whether an answer is worth trying again: the server is
// overloaded (429, 503) or failed (5xx); any other 4xx would fail again.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}
