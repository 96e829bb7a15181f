package certify

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// tokenReuse judges that a client keeps its token until shortly before it
// expires: a token fetched while the previous one still had more than
// renewWithin to live, with no call rejected (401) in between, is one
// fetched too early. The token answers' expires_in gives each lifetime.
type tokenReuse struct {
	token       Class
	calls       classSet
	renewWithin time.Duration
	lifetime    time.Duration
}

type tokenReuseParams struct {
	Token       string        `yaml:"token"`
	Calls       []string      `yaml:"calls"`
	RenewWithin time.Duration `yaml:"renewWithin"`
	Lifetime    time.Duration `yaml:"lifetime"`
}

func newTokenReuse(decode func(any) error, classes map[string]Class) (checker, error) {
	var p tokenReuseParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := tokenReuse{token: r.one("token", p.Token, false), calls: r.many("calls", p.Calls, false),
		renewWithin: orDuration(p.RenewWithin, 5*time.Minute), lifetime: orDuration(p.Lifetime, time.Hour)}
	return c, r.err
}

// issued is a token answer the client received.
type issued struct {
	entry   journal.Entry
	expires time.Time
}

func (c tokenReuse) judge(entries []journal.Entry) outcome {
	var calls []journal.Entry
	tokens := map[string][]issued{}
	credentials := map[string]bool{}
	for _, e := range entries {
		switch {
		case c.token.Matches(e):
			if e.Status >= 200 && e.Status < 300 && !transportFault(e) {
				tokens[who(e)] = append(tokens[who(e)], issued{e, wall(e).Add(expiresIn(e, c.lifetime))})
			}
		case matchesAny(c.calls, e):
			calls = append(calls, e)
			if e.Credential != "" {
				credentials[e.Credential] = true
			}
		}
	}
	if len(calls) < 2 || len(tokens) == 0 {
		return notExercised("%d API call(s) after %d token answer(s): reuse needs a token and at least two calls", len(calls), countIssued(tokens))
	}
	var ev []Evidence
	early := 0
	var shown []Evidence
	for _, client := range sortedKeys(tokens) {
		list := tokens[client]
		for _, t := range list {
			shown = append(shown, evidence(t.entry, "token issued, valid until %s", t.expires.Format(time.RFC3339)))
		}
		for i := 1; i < len(list); i++ {
			prev, next := list[i-1], list[i]
			left := prev.expires.Sub(wall(next.entry))
			if left <= c.renewWithin || rejectedBetween(calls, client, answered(prev.entry), wall(next.entry)) {
				continue
			}
			early++
			ev = append(ev, evidence(prev.entry, "token issued, valid until %s", prev.expires.Format(time.RFC3339)),
				evidence(next.entry, "a new token fetched with %s of the previous one left and no call rejected", since(left)))
		}
	}
	summary := fmt.Sprintf("%d API calls on %d token(s), %d credential(s) seen", len(calls), countIssued(tokens), len(credentials))
	if early > 0 {
		return outcome{status: Fail, detail: fmt.Sprintf("%d token(s) fetched while the previous one was still good for more than %s: %s", early, c.renewWithin, summary), evidence: ev}
	}
	return outcome{status: Pass, detail: summary + fmt.Sprintf("; every new token came after a 401 or within %s of expiry", c.renewWithin), evidence: shown}
}

// expiresIn is the lifetime a token answer gives (expires_in, a number or
// a numeric string, in seconds), or def.
func expiresIn(e journal.Entry, def time.Duration) time.Duration {
	v, ok := jsonMember(e.Response.Body, "expires_in")
	if !ok {
		return def
	}
	secs, err := strconv.ParseFloat(strings.Trim(v, `"`), 64)
	if err != nil || secs <= 0 {
		return def
	}
	return time.Duration(secs * float64(time.Second))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func countIssued(tokens map[string][]issued) int {
	n := 0
	for _, l := range tokens {
		n += len(l)
	}
	return n
}

func matchesAny(cs classSet, e journal.Entry) bool {
	_, ok := cs.of(e)
	return ok
}

// rejectedBetween reports whether a call of client was answered 401
// between from and to.
func rejectedBetween(calls []journal.Entry, client string, from, to time.Time) bool {
	for _, e := range calls {
		w := wall(e)
		if e.Status == 401 && (who(e) == client || who(e) == "") && !w.Before(from) && !w.After(to) {
			return true
		}
	}
	return false
}

// tokenRenewal judges what a client does once a call is rejected as
// invalid_token: it never sends the rejected credential again, and it
// fetches a new token.
type tokenRenewal struct {
	token    Class
	calls    classSet
	status   int
	contains string
}

type tokenRenewalParams struct {
	Token    string   `yaml:"token"`
	Calls    []string `yaml:"calls"`
	Status   int      `yaml:"status"`
	Contains string   `yaml:"contains"`
}

func newTokenRenewal(decode func(any) error, classes map[string]Class) (checker, error) {
	var p tokenRenewalParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := tokenRenewal{token: r.one("token", p.Token, false), calls: r.many("calls", p.Calls, false),
		status: orInt(p.Status, 401), contains: p.Contains}
	if c.contains == "" {
		c.contains = "invalid_token"
	}
	return c, r.err
}

// rejected reports whether e is a call the sandbox refused the token of.
func (c tokenRenewal) rejected(e journal.Entry) bool {
	if e.Status != c.status {
		return false
	}
	h, _ := headerValue(e.Response, "WWW-Authenticate")
	return strings.Contains(e.Response.Body, c.contains) || strings.Contains(h, c.contains)
}

func (c tokenRenewal) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	rejections, bad := 0, 0
	for i, r := range entries {
		if !matchesAny(c.calls, r) || !c.rejected(r) {
			continue
		}
		rejections++
		renewed := false
		var reused []journal.Entry
		for _, e := range entries[i+1:] {
			if c.token.Matches(e) && who(e) == who(r) && wall(e).After(wall(r)) {
				renewed = true
			}
			if matchesAny(c.calls, e) && r.Credential != "" && e.Credential == r.Credential && wall(e).After(answered(r)) {
				reused = append(reused, e)
			}
		}
		if renewed && len(reused) == 0 {
			continue
		}
		bad++
		ev = append(ev, evidence(r, "answered %d %s", r.Status, c.contains))
		if !renewed {
			ev[len(ev)-1].Note += "; no token was requested afterwards"
		}
		for _, e := range reused {
			ev = append(ev, evidence(e, "the rejected credential sent again"))
		}
	}
	switch {
	case rejections == 0:
		return notExercised("no call was answered %d %s", c.status, c.contains)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d rejected call(s) not followed by a new token, or the rejected token used again", bad, rejections), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d rejected call(s), each followed by a new token; the rejected ones never sent again", rejections)}
}
