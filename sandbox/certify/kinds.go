package certify

import (
	"fmt"
	"sort"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// kind builds a check from its parameters: decode reads the verdict's
// `with` into a struct strictly.
type kind func(decode func(any) error, classes map[string]Class) (checker, error)

// kinds are the built-in checks by name; docs/certify.md describes each.
var kinds = map[string]kind{
	"token-reuse":       newTokenReuse,
	"token-renewal":     newTokenRenewal,
	"retry-after":       newRetryAfter,
	"backoff":           newBackoff,
	"idempotent-retry":  newIdempotentRetry,
	"polling":           newPolling,
	"stops-at":          newStopsAt,
	"once-per-key":      newOncePerKey,
	"once-per-delivery": newOncePerDelivery,
	"precedes":          newPrecedes,
	"refused":           newRefused,
	"ack-window":        newAckWindow,
	"answered":          newAnswered,
}

func kindNames() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// refs resolves the class names a check's parameters give, collecting
// the first problem.
type refs struct {
	classes map[string]Class
	err     error
}

// one is the class the parameter field names; keyed requires it to have
// a key.
func (r *refs) one(field, name string, keyed bool) Class {
	if r.err != nil {
		return Class{}
	}
	c, ok := r.classes[name]
	switch {
	case !ok:
		r.err = fmt.Errorf("%s: %v", field, unknownClass(name, r.classes))
	case keyed && len(c.key) == 0:
		r.err = fmt.Errorf("%s: class %q needs a key for this check (which thing each entry is about)", field, name)
	}
	return c
}

// many are the classes the list parameter field names, at least one.
func (r *refs) many(field string, names []string, keyed bool) classSet {
	if r.err == nil && len(names) == 0 {
		r.err = fmt.Errorf("%s: name at least one class", field)
	}
	out := make(classSet, 0, len(names))
	for _, n := range names {
		out = append(out, r.one(field, n, keyed))
	}
	return out
}

// positive checks that a duration parameter is set and not negative.
func (r *refs) positive(field string, d time.Duration) {
	if r.err == nil && d <= 0 {
		r.err = fmt.Errorf("%s: must be a positive duration such as 500ms or 5m", field)
	}
}

// classSet is several classes judged together.
type classSet []Class

// of is the first class of the set e belongs to.
func (cs classSet) of(e journal.Entry) (Class, bool) {
	for _, c := range cs {
		if c.Matches(e) {
			return c, true
		}
	}
	return Class{}, false
}

// key is e's key in the first class of the set it belongs to.
func (cs classSet) key(e journal.Entry) (string, bool) {
	c, ok := cs.of(e)
	if !ok {
		return "", false
	}
	return c.KeyOf(e)
}

// orDuration is d, or def when d is zero.
func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}
