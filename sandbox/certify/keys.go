package certify

import (
	"fmt"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// oncePerKey judges that at most max requests of a class are about one
// key: one activation per subscription, one metering event per resource,
// dimension and hour. Requests the client saw fail (no answer, a broken
// one, 429, 5xx) are not counted, so a safe retry is no duplicate; one
// the marketplace refused as a duplicate (409) is.
type oncePerKey struct {
	class Class
	max   int
}

type oncePerKeyParams struct {
	Class string `yaml:"class"`
	Max   int    `yaml:"max"`
}

func newOncePerKey(decode func(any) error, classes map[string]Class) (checker, error) {
	var p oncePerKeyParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	return oncePerKey{class: r.one("class", p.Class, true), max: orInt(p.Max, 1)}, r.err
}

// processed groups the requests of class the server handled by key.
func processed(entries []journal.Entry, class Class) map[string][]journal.Entry {
	out := map[string][]journal.Entry{}
	for _, e := range entries {
		if k, ok := class.KeyOf(e); ok && class.Matches(e) && !retryable(e) {
			out[k] = append(out[k], e)
		}
	}
	return out
}

func (c oncePerKey) judge(entries []journal.Entry) outcome {
	byKey := processed(entries, c.class)
	if len(byKey) == 0 {
		return notExercised("no request of class %s was handled", c.class.Name)
	}
	var ev []Evidence
	bad := 0
	for _, k := range sortedKeys(byKey) {
		if list := byKey[k]; len(list) > c.max {
			bad++
			for i, e := range list {
				ev = append(ev, evidence(e, "%s: request %d of %d (at most %d)", k, i+1, len(list), c.max))
			}
		}
	}
	if bad > 0 {
		return outcome{status: Fail, detail: fmt.Sprintf("%d key(s) of class %s sent more than %d time(s)", bad, c.class.Name, c.max), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d key(s) of class %s, each at most %d time(s)", len(byKey), c.class.Name, c.max)}
}

// oncePerDelivery judges that a delivery the client received more than
// once (duplicates share a key: the operation id) sets off at most max
// actions about that key.
type oncePerDelivery struct {
	deliveries Class
	actions    classSet
	max        int
}

type oncePerDeliveryParams struct {
	Deliveries string   `yaml:"deliveries"`
	Actions    []string `yaml:"actions"`
	Max        int      `yaml:"max"`
}

func newOncePerDelivery(decode func(any) error, classes map[string]Class) (checker, error) {
	var p oncePerDeliveryParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	return oncePerDelivery{deliveries: r.one("deliveries", p.Deliveries, true), actions: r.many("actions", p.Actions, true), max: orInt(p.Max, 1)}, r.err
}

func (c oncePerDelivery) judge(entries []journal.Entry) outcome {
	delivered := map[string][]journal.Entry{}
	for _, e := range entries {
		if k, ok := c.deliveries.KeyOf(e); ok && c.deliveries.Matches(e) {
			delivered[k] = append(delivered[k], e)
		}
	}
	var ev []Evidence
	dups, bad := 0, 0
	for _, k := range sortedKeys(delivered) {
		copies := delivered[k]
		if len(copies) < 2 {
			continue
		}
		dups++
		var acts []journal.Entry
		for _, e := range entries {
			if ak, ok := c.actions.key(e); ok && ak == k && !retryable(e) && !wall(e).Before(wall(copies[0])) {
				acts = append(acts, e)
			}
		}
		if len(acts) <= c.max {
			ev = append(ev, evidence(copies[0], "%s delivered %d times, %d action(s)", k, len(copies), len(acts)))
			continue
		}
		bad++
		ev = append(ev, evidence(copies[0], "%s delivered %d times", k, len(copies)))
		for i, e := range acts {
			ev = append(ev, evidence(e, "action %d of %d on it (at most %d)", i+1, len(acts), c.max))
		}
	}
	switch {
	case dups == 0:
		return notExercised("no delivery was received twice")
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d duplicated delivery(ies) acted on more than %d time(s)", bad, dups, c.max), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d duplicated delivery(ies), each acted on at most %d time(s)", dups, c.max), evidence: ev}
}

// forged reports whether the sandbox forged delivery e on purpose (its
// fault effect starts with prefix, such as "forge:").
func forged(e journal.Entry, prefix string) bool {
	return e.Fault != nil && strings.HasPrefix(e.Fault.Effect, prefix)
}

// answered judges that every request of a class the sandbox left alone
// (no fault) was answered with one of statuses; a refusal shows the
// marketplace's message, which says what was wrong.
type answeredCheck struct {
	class    Class
	statuses []int
}

type answeredParams struct {
	Class    string `yaml:"class"`
	Statuses []int  `yaml:"statuses"`
}

func newAnswered(decode func(any) error, classes map[string]Class) (checker, error) {
	var p answeredParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := answeredCheck{class: r.one("class", p.Class, false), statuses: p.Statuses}
	if len(c.statuses) == 0 {
		c.statuses = []int{200}
	}
	return c, r.err
}

func (c answeredCheck) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	n, bad := 0, 0
	for _, e := range entries {
		if !c.class.Matches(e) || e.Fault != nil {
			continue
		}
		n++
		if contains(c.statuses, e.Status) {
			continue
		}
		bad++
		ev = append(ev, evidence(e, "answered %d: %s", e.Status, excerpt(e.Response.Body)))
	}
	switch {
	case n == 0:
		return notExercised("no request of class %s", c.class.Name)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d request(s) of class %s not answered %v", bad, n, c.class.Name, c.statuses), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d request(s) of class %s, all answered %v", n, c.class.Name, c.statuses)}
}

// excerpt is the start of a body for a note.
func excerpt(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		return body[:300] + "…"
	}
	if body == "" {
		return "(no body)"
	}
	return body
}
