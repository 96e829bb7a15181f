package certify

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// precedes judges that a client checks before it acts on a delivery: for
// every then request about a delivered key (the ACK of an operation), a
// first request about the same key (Get Operation) came between the
// delivery and it.
type precedes struct {
	deliveries  Class
	first, then classSet
}

type precedesParams struct {
	Deliveries string   `yaml:"deliveries"`
	First      []string `yaml:"first"`
	Then       []string `yaml:"then"`
}

func newPrecedes(decode func(any) error, classes map[string]Class) (checker, error) {
	var p precedesParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	return precedes{deliveries: r.one("deliveries", p.Deliveries, true), first: r.many("first", p.First, true), then: r.many("then", p.Then, true)}, r.err
}

// firstDelivery is the first delivery of each key.
func firstDelivery(entries []journal.Entry, deliveries Class) map[string]journal.Entry {
	out := map[string]journal.Entry{}
	for _, e := range entries {
		if k, ok := deliveries.KeyOf(e); ok && deliveries.Matches(e) {
			if _, seen := out[k]; !seen {
				out[k] = e
			}
		}
	}
	return out
}

func (c precedes) judge(entries []journal.Entry) outcome {
	delivered := firstDelivery(entries, c.deliveries)
	var ev []Evidence
	acts, bad := 0, 0
	for i, t := range entries {
		k, ok := c.then.key(t)
		d, was := delivered[k]
		if !ok || !was || wall(t).Before(wall(d)) {
			continue
		}
		acts++
		checked := false
		for _, f := range entries[:i] {
			if fk, ok := c.first.key(f); ok && fk == k && !wall(f).Before(wall(d)) {
				checked = true
				break
			}
		}
		if checked {
			continue
		}
		bad++
		ev = append(ev, evidence(d, "delivered %s", k), evidence(t, "acted on %s without checking it first", k))
	}
	switch {
	case acts == 0:
		return notExercised("the client acted on no delivered key")
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d action(s) on a delivery not preceded by a check of it", bad, acts), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d action(s) on deliveries, each after a check of the same key", acts)}
}

// refused judges forged deliveries (the sandbox's fault effect starts
// with fault): each answered 4xx, and nothing done about its key
// afterwards, unless a genuine delivery of the key was accepted first.
type refused struct {
	deliveries Class
	fault      string
	actions    classSet
}

type refusedParams struct {
	Deliveries string   `yaml:"deliveries"`
	Fault      string   `yaml:"fault"`
	Actions    []string `yaml:"actions"`
}

func newRefused(decode func(any) error, classes map[string]Class) (checker, error) {
	var p refusedParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	c := refused{deliveries: r.one("deliveries", p.Deliveries, true), fault: p.Fault, actions: r.many("actions", p.Actions, true)}
	if r.err == nil && c.fault == "" {
		return nil, errors.New("fault: the start of the fault effect the sandbox marks forged deliveries with, such as forge:signature")
	}
	return c, r.err
}

func (c refused) judge(entries []journal.Entry) outcome {
	var ev []Evidence
	n, bad := 0, 0
	for i, d := range entries {
		if !c.deliveries.Matches(d) || !forged(d, c.fault) {
			continue
		}
		n++
		k, _ := c.deliveries.KeyOf(d)
		wrong := false
		if d.Status < 400 || d.Status > 499 {
			wrong = true
			ev = append(ev, evidence(d, "the forged delivery of %s was answered %d, not refused with a 4xx %s", k, d.Status, d.Error))
		}
		genuine := false
		for _, e := range entries[i+1:] {
			if c.deliveries.Matches(e) && !forged(e, c.fault) && e.Status >= 200 && e.Status < 300 {
				if gk, _ := c.deliveries.KeyOf(e); gk == k {
					genuine = true
				}
			}
			if ak, ok := c.actions.key(e); ok && ak == k && !genuine {
				if !wrong {
					ev = append(ev, evidence(d, "forged delivery of %s refused (%d)", k, d.Status))
				}
				wrong = true
				ev = append(ev, evidence(e, "acted on %s after its forged delivery", k))
			}
		}
		if wrong {
			bad++
		}
	}
	switch {
	case n == 0:
		return notExercised("no delivery was forged with %s", c.fault)
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d forged delivery(ies) accepted or acted on", bad, n), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d forged delivery(ies), each refused with a 4xx and never acted on", n)}
}

// ackWindow judges that every delivery that needs an answer gets one in
// time: an ack about its key within window of its first (genuine)
// delivery, by the wall clock, or the delivery itself refused with a
// 4xx (which marketplaces read as a rejection).
type ackWindow struct {
	deliveries Class
	acks       classSet
	window     time.Duration
}

type ackWindowParams struct {
	Deliveries string        `yaml:"deliveries"`
	Acks       []string      `yaml:"acks"`
	Window     time.Duration `yaml:"window"`
}

func newAckWindow(decode func(any) error, classes map[string]Class) (checker, error) {
	var p ackWindowParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	r := &refs{classes: classes}
	return ackWindow{deliveries: r.one("deliveries", p.Deliveries, true), acks: r.many("acks", p.Acks, true), window: orDuration(p.Window, 10*time.Second)}, r.err
}

func (c ackWindow) judge(entries []journal.Entry) outcome {
	first := map[string]journal.Entry{}
	var order []string
	for _, e := range entries {
		if k, ok := c.deliveries.KeyOf(e); ok && c.deliveries.Matches(e) && !forged(e, "forge") {
			if _, seen := first[k]; !seen {
				first[k] = e
				order = append(order, k)
			}
		}
	}
	var ev []Evidence
	bad := 0
	for _, k := range order {
		d := first[k]
		if d.Status >= 400 && d.Status <= 499 {
			ev = append(ev, evidence(d, "%s refused with %d: answered at once", k, d.Status))
			continue
		}
		ack, found := journal.Entry{}, false
		for _, e := range entries {
			if ak, ok := c.acks.key(e); ok && ak == k && !retryable(e) {
				ack, found = e, true
				break
			}
		}
		switch took := wall(ack).Sub(wall(d)); {
		case !found:
			bad++
			ev = append(ev, evidence(d, "%s delivered; never acknowledged", k))
		case took > c.window:
			bad++
			ev = append(ev, evidence(d, "%s delivered", k), evidence(ack, "acknowledged after %s, later than %s", since(took), c.window))
		default:
			ev = append(ev, evidence(ack, "%s acknowledged %s after its delivery", k, since(max(took, 0))))
		}
	}
	switch {
	case len(order) == 0:
		return notExercised("no delivery needing an acknowledgement was made")
	case bad > 0:
		return outcome{status: Fail, detail: fmt.Sprintf("%d of %d delivery(ies) not acknowledged within %s", bad, len(order), c.window), evidence: ev}
	}
	return outcome{status: Pass, detail: fmt.Sprintf("%d delivery(ies), each acknowledged within %s", len(order), c.window), evidence: ev}
}
