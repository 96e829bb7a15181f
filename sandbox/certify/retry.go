package certify

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// retryAfter judges that a client waits out Retry-After: after an answer
// carrying it, the client's next request of the same class about the
// same key (scope request, the default: the retry) — or of the same class
// at all (scope client: the client holds back everything it sends there,
// as a rate limit asks) — comes no sooner, by the wall clock, less the
// tolerance.
type retryAfter struct {
	classes   classSet
	tolerance time.Duration
	perClient bool
}

type retryAfterParams struct {
	Classes   []string      `yaml:"classes"`
	Tolerance time.Duration `yaml:"tolerance"`
	Scope     string        `yaml:"scope"`
}

func newRetryAfter(decode func(any) error, classes map[string]Class) (checker, error) {
	var p retryAfterParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	if p.Scope != "" && p.Scope != "request" && p.Scope != "client" {
		return nil, fmt.Errorf("scope: %q is not request or client", p.Scope)
	}
	return retryAfter{classes: r.many("classes", p.Classes, false), tolerance: orDuration(p.Tolerance, 250*time.Millisecond),
		perClient: p.Scope == "client"}, r.err
}

// retryAfterOf is the wait e's answer asks for: Retry-After in seconds or
// as an HTTP date (from when e arrived).
func retryAfterOf(e journal.Entry) (time.Duration, bool) {
	v, ok := headerValue(e.Response, "Retry-After")
	if !ok {
		return 0, false
	}
	v = strings.TrimSpace(v)
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(wall(e)), true
	}
	return 0, false
}

func (c retryAfter) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	waited, early, gone := 0, 0, 0
	for i, e := range entries {
		cls, ok := c.classes.of(e)
		if !ok {
			continue
		}
		ra, ok := retryAfterOf(e)
		if !ok || ra <= 0 {
			continue
		}
		next, found := c.next(entries[i+1:], cls, e)
		if !found {
			gone++
			continue
		}
		gap := wall(next).Sub(answered(e))
		if gap >= ra-c.tolerance {
			waited++
			ev = append(ev, evidence(e, "Retry-After %s", ra), evidence(next, "came %s later", since(gap)))
			continue
		}
		early++
		ev = append(ev, evidence(e, "Retry-After %s", ra), evidence(next, "came after %s, before Retry-After", since(gap)))
	}
	switch {
	case early > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d request(s) sooner than the Retry-After of the answer before them (%d waited)", early, waited), evidence: onlyFailing(ev)}
	case waited == 0 && gone > 0:
		return notExercised("%d answer(s) carried Retry-After, but the client sent no request of that class afterwards", gone)
	case waited == 0:
		return notExercised("no answer carried Retry-After")
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d answer(s) with Retry-After, each waited out", waited), evidence: ev}
}

// next is the request that must wait out e's Retry-After.
func (c retryAfter) next(later []journal.Entry, cls Class, e journal.Entry) (journal.Entry, bool) {
	if c.perClient {
		return nextOf(later, cls, who(e))
	}
	key, _ := cls.KeyOf(e)
	for _, n := range later {
		if k, _ := cls.KeyOf(n); cls.Matches(n) && who(n) == who(e) && k == key {
			return n, true
		}
	}
	return journal.Entry{}, false
}

// onlyFailing keeps the pairs whose second note says the rule was broken.
func onlyFailing(ev []Evidence) []Evidence {
	var out []Evidence
	for i := 0; i+1 < len(ev); i += 2 {
		if strings.Contains(ev[i+1].Note, "before") {
			out = append(out, ev[i], ev[i+1])
		}
	}
	return out
}

// nextOf is the first of entries of class cls sent by client.
func nextOf(entries []journal.Entry, cls Class, client string) (journal.Entry, bool) {
	for _, e := range entries {
		if cls.Matches(e) && who(e) == client {
			return e, true
		}
	}
	return journal.Entry{}, false
}

// backoff judges a client's retries after failures (no answer, a broken
// one, 429, 5xx): the first wait at least minDelay, the waits never
// shrinking by more than the jitter allows and growing over a long run,
// none longer than maxInterval, and at most maxAttempts attempts in a
// row. Requests are grouped by class, client and key.
type backoff struct {
	classes     classSet
	minDelay    time.Duration
	maxInterval time.Duration
	maxAttempts int
	jitter      float64
}

type backoffParams struct {
	Classes     []string      `yaml:"classes"`
	MinDelay    time.Duration `yaml:"minDelay"`
	MaxInterval time.Duration `yaml:"maxInterval"`
	MaxAttempts int           `yaml:"maxAttempts"`
	Jitter      *float64      `yaml:"jitter"`
}

func newBackoff(decode func(any) error, classes map[string]Class) (checker, error) {
	var p backoffParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := backoff{classes: r.many("classes", p.Classes, false), minDelay: orDuration(p.MinDelay, 100*time.Millisecond),
		maxInterval: orDuration(p.MaxInterval, time.Minute), maxAttempts: orInt(p.MaxAttempts, 8), jitter: 0.5}
	if p.Jitter != nil {
		c.jitter = *p.Jitter
	}
	if r.err == nil && (c.jitter < 0 || c.jitter >= 1) {
		return nil, fmt.Errorf("jitter: must be from 0 to below 1 (the share a wait may shrink by)")
	}
	if r.err == nil && c.maxAttempts < 2 {
		return nil, fmt.Errorf("maxAttempts: must be at least 2 (one attempt and one retry)")
	}
	return c, r.err
}

func (c backoff) judge(entries []journal.Entry) outcome {
	open := map[string][]journal.Entry{}
	var runs [][]journal.Entry
	for _, e := range entries {
		cls, ok := c.classes.of(e)
		if !ok {
			continue
		}
		key, _ := cls.KeyOf(e)
		g := cls.Name + "\x00" + who(e) + "\x00" + key
		run := open[g]
		switch {
		case len(run) > 0:
			run = append(run, e)
		case retryable(e):
			run = []journal.Entry{e}
		}
		if len(run) > 0 && !retryable(e) {
			runs = append(runs, run)
			run = nil
		}
		open[g] = run
	}
	for _, g := range sortedKeys(open) {
		if len(open[g]) > 0 {
			runs = append(runs, open[g])
		}
	}
	var ev []Evidence
	retried, bad := 0, 0
	for _, run := range runs {
		if len(run) < 2 {
			continue
		}
		retried++
		if problem := c.judgeRun(run); problem != "" {
			bad++
			for i, e := range run {
				note := "first attempt"
				if i > 0 {
					note = fmt.Sprintf("attempt %d, %s after the answer before", i+1, since(wall(e).Sub(answered(run[i-1]))))
				}
				if i == len(run)-1 {
					note += ": " + problem
				}
				ev = append(ev, evidence(e, "%s", note))
			}
		}
	}
	switch {
	case retried == 0:
		return notExercised("no failure was retried")
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d retry run(s) did not back off within bounds", bad, retried), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d retry run(s), each waiting at least %s, growing and bounded", retried, c.minDelay)}
}

// judgeRun says what is wrong with one run of attempts, or "".
func (c backoff) judgeRun(run []journal.Entry) string {
	if len(run) > c.maxAttempts {
		return fmt.Sprintf("%d attempts in a row, more than %d", len(run), c.maxAttempts)
	}
	waits := make([]time.Duration, len(run)-1)
	for i := range waits {
		waits[i] = wall(run[i+1]).Sub(answered(run[i]))
	}
	if waits[0] < c.minDelay {
		return fmt.Sprintf("retried after %s, sooner than %s", since(waits[0]), c.minDelay)
	}
	for i, w := range waits {
		if w > c.maxInterval {
			return fmt.Sprintf("waited %s, longer than %s", since(w), c.maxInterval)
		}
		if i > 0 && float64(w) < float64(waits[i-1])*(1-c.jitter) {
			return fmt.Sprintf("the wait shrank from %s to %s", since(waits[i-1]), since(w))
		}
	}
	if n := len(waits); n >= 3 && waits[n-1] <= waits[0] {
		return fmt.Sprintf("the waits did not grow over %d retries (%s, then %s)", n, since(waits[0]), since(waits[n-1]))
	}
	return ""
}

// idempotentRetry judges the retry of a create that failed at the
// transport or with a 5xx: it carries the same key and the same body, and
// is not the same order again under a new key (which would make a second
// subscription).
type idempotentRetry struct {
	class Class
	drop  []string // the key's body members, left out to compare the rest
}

type idempotentRetryParams struct {
	Class string `yaml:"class"`
}

func newIdempotentRetry(decode func(any) error, classes map[string]Class) (checker, error) {
	var p idempotentRetryParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := idempotentRetry{class: r.one("class", p.Class, true)}
	for _, s := range c.class.key {
		if s.source == "body" {
			c.drop = append(c.drop, s.arg)
		}
	}
	return c, r.err
}

// sameKey is the first later request of the class by f's client with
// f's key.
func (c idempotentRetry) sameKey(later []journal.Entry, f journal.Entry, key string) (journal.Entry, bool) {
	for _, e := range later {
		if k, _ := c.class.KeyOf(e); c.class.Matches(e) && who(e) == who(f) && k == key {
			return e, true
		}
	}
	return journal.Entry{}, false
}

// followedUp reports whether f's client went on with f's key after f
// (it read the thing it made, by a path that ends in the key): then a
// request alike in all but its key is another order made beside it,
// not f made again. A client that makes the order again abandons the
// first key.
func followedUp(later []journal.Entry, f journal.Entry, key string) bool {
	if key == "" {
		return false
	}
	suffix := "/" + url.PathEscape(key)
	for _, e := range later {
		if who(e) == who(f) && strings.HasSuffix(e.Path, suffix) {
			return true
		}
	}
	return false
}

// allSameRest is up to n requests sameRest would find.
func (c idempotentRetry) allSameRest(later []journal.Entry, f journal.Entry, rest string, n int) []journal.Entry {
	var out []journal.Entry
	for len(out) < n {
		e, ok := c.sameRest(later, f, rest)
		if !ok {
			break
		}
		out = append(out, e)
		later = later[slices.IndexFunc(later, func(x journal.Entry) bool { return x.ID == e.ID })+1:]
	}
	return out
}

// sameRest is the first request of the class by f's client, sent after
// f's answer ended, whose body is f's but for the dropped members.
func (c idempotentRetry) sameRest(later []journal.Entry, f journal.Entry, rest string) (journal.Entry, bool) {
	for _, e := range later {
		if c.class.Matches(e) && who(e) == who(f) && !wall(e).Before(answered(f)) && canonicalJSON(e.Request.Body, c.drop...) == rest {
			return e, true
		}
	}
	return journal.Entry{}, false
}

func (c idempotentRetry) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	retried, bad, dropped := 0, 0, 0
	for i, f := range entries {
		if !c.class.Matches(f) || !retryable(f) {
			continue
		}
		key, _ := c.class.KeyOf(f)
		rest := canonicalJSON(f.Request.Body, c.drop...)
		// The retry is the client's next request with the same key; only
		// when there is none does a later request with the same other
		// members, sent after the failed answer came, count as the order
		// made again (orders alike in all but their key, sent side by
		// side, are other orders).
		retry, found := c.sameKey(entries[i+1:], f, key)
		if !found && !followedUp(entries[i+1:], f, key) {
			retry, found = c.sameRest(entries[i+1:], f, rest)
		}
		if !found {
			dropped++
			continue
		}
		retried++
		k, _ := c.class.KeyOf(retry)
		switch {
		case k != key:
			bad++
			ev = append(ev, evidence(f, "failed (key %s), and the client never came back to %s", key, key))
			// Every request alike under a new key is shown: which of them
			// is the order made again, the wire cannot tell.
			for _, alike := range c.allSameRest(entries[i+1:], f, rest, 3) {
				k, _ := c.class.KeyOf(alike)
				ev = append(ev, evidence(alike, "the same order under a new key %s: a second subscription", k))
			}
		case canonicalJSON(retry.Request.Body) != canonicalJSON(f.Request.Body):
			bad++
			ev = append(ev, evidence(f, "failed (key %s)", key), evidence(retry, "retried with the same key but another body"))
		default:
			ev = append(ev, evidence(f, "failed (key %s)", key), evidence(retry, "retried with the same key and body"))
		}
	}
	switch {
	case retried == 0 && dropped > 0:
		return notExercised("%d failed request(s), never retried", dropped)
	case retried == 0:
		return notExercised("no request of class %s failed", c.class.Name)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d retried failure(s) not retried with the same key and body", bad, retried), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d failure(s) retried with the same key and body", retried), evidence: ev}
}
