package certify

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// polling judges how a client polls a thing's state: no two reads of one
// key closer than minInterval after a read answered 2xx (less the
// tolerance; a read right after a refused or failed one is a retry, which
// backoff and token renewal judge), at most maxCount reads per key, and
// none after a read whose field had a final value.
type polling struct {
	class       Class
	field       selector
	final       []string
	minInterval time.Duration
	maxCount    int
	tolerance   time.Duration
}

type pollingParams struct {
	Class       string        `yaml:"class"`
	Field       string        `yaml:"field"`
	Final       []string      `yaml:"final"`
	MinInterval time.Duration `yaml:"minInterval"`
	MaxCount    int           `yaml:"maxCount"`
	Tolerance   time.Duration `yaml:"tolerance"`
}

func newPolling(decode func(any) error, classes map[string]Class) (checker, error) {
	var p pollingParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := polling{class: r.one("class", p.Class, true), final: p.Final, minInterval: orDuration(p.MinInterval, time.Second),
		maxCount: orInt(p.MaxCount, 60), tolerance: orDuration(p.Tolerance, 100*time.Millisecond)}
	if r.err != nil {
		return nil, r.err
	}
	field, err := fieldParam(p.Field, p.Final)
	c.field = field
	return c, err
}

// fieldParam is the selector of a field with the values that matter.
func fieldParam(text string, values []string) (selector, error) {
	if text == "" || len(values) == 0 {
		return selector{}, errors.New("field (a selector such as response:status) and its values are required")
	}
	s, err := parseSelector(text)
	if err != nil {
		return s, fmt.Errorf("field: %v", err)
	}
	return s, nil
}

// finalValue is e's field when it is one of values and the client saw
// the answer.
func finalValue(e journal.Entry, field selector, values []string) (string, bool) {
	if transportFault(e) {
		return "", false
	}
	v, ok := field.value(e)
	return v, ok && contains(values, v)
}

// answered2xx reports whether the client got e's 2xx answer whole.
func answered2xx(e journal.Entry) bool {
	return e.Status >= 200 && e.Status < 300 && !transportFault(e)
}

func (c polling) judge(entries []journal.Entry) outcome {
	reads := map[string][]journal.Entry{}
	for _, e := range entries {
		if k, ok := c.class.KeyOf(e); ok && c.class.Matches(e) {
			reads[k] = append(reads[k], e)
		}
	}
	var ev []Evidence
	exercised, bad := false, 0
	for _, key := range sortedKeys(reads) {
		list := reads[key]
		exercised = exercised || len(list) > 1
		if len(list) > c.maxCount {
			bad++
			ev = append(ev, evidence(list[c.maxCount], "read %d of %s: more than %d", len(list), key, c.maxCount))
		}
		for i := 1; i < len(list); i++ {
			gap := wall(list[i]).Sub(wall(list[i-1]))
			if answered2xx(list[i-1]) && gap < c.minInterval-c.tolerance {
				bad++
				ev = append(ev, evidence(list[i], "read of %s %s after the one before, closer than %s", key, since(gap), c.minInterval))
				break
			}
		}
		for i, e := range list {
			v, final := finalValue(e, c.field, c.final)
			if !final {
				continue
			}
			exercised = true
			if i+1 < len(list) {
				bad++
				ev = append(ev, evidence(e, "%s is final", v), evidence(list[i+1], "read again after it (%d more)", len(list)-i-1))
			}
			break
		}
	}
	switch {
	case !exercised:
		return notExercised("no key of class %s was read twice or seen in a final state", c.class.Name)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d polling problem(s) over %d key(s)", bad, len(reads)), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d key(s) polled at least %s apart, at most %d reads each, none after a final value", len(reads), c.minInterval, c.maxCount)}
}

// stopsAt judges that once an answer of one of the on classes shows a
// value (Failed), the client sends no further request of the then
// classes about that key: it surfaces the outcome instead of looping.
type stopsAt struct {
	on, then classSet
	field    selector
	values   []string
}

type stopsAtParams struct {
	On     []string `yaml:"on"`
	Field  string   `yaml:"field"`
	Values []string `yaml:"values"`
	Then   []string `yaml:"then"`
}

func newStopsAt(decode func(any) error, classes map[string]Class) (checker, error) {
	var p stopsAtParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	if len(p.Then) == 0 {
		p.Then = p.On
	}
	r := &refs{classes: classes}
	c := stopsAt{on: r.many("on", p.On, true), then: r.many("then", p.Then, true), values: p.Values}
	if r.err != nil {
		return nil, r.err
	}
	field, err := fieldParam(p.Field, p.Values)
	c.field = field
	return c, err
}

func (c stopsAt) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	seen, bad := map[string]bool{}, 0
	for i, e := range entries {
		key, ok := c.on.key(e)
		if !ok || seen[key] {
			continue
		}
		v, final := finalValue(e, c.field, c.values)
		if !final {
			continue
		}
		seen[key] = true
		var after []journal.Entry
		for _, x := range entries[i+1:] {
			if k, ok := c.then.key(x); ok && k == key {
				after = append(after, x)
			}
		}
		if len(after) == 0 {
			ev = append(ev, evidence(e, "%s: nothing more about %s", v, key))
			continue
		}
		bad++
		ev = append(ev, evidence(e, "%s", v), evidence(after[0], "%d more request(s) about %s after it", len(after), key))
	}
	switch {
	case len(seen) == 0:
		return notExercised("no answer showed %v", c.values)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("the client went on with %d of %d key(s) after %v", bad, len(seen), c.values), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d key(s) reached %v; the client stopped there", len(seen), c.values), evidence: ev}
}
