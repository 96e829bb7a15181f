package emulatorfake

import (
	"sync"
	"time"
)

// record is one subscription with its operations, as the emulator keeps
// them under a publisher: {subscription, operations:{opId: Operation}}.
type record struct {
	sub map[string]any
	ops []*Operation // in creation order
}

func (r *record) operation(id string) *Operation {
	for _, o := range r.ops {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func (r *record) status() string { s, _ := r.sub["saasSubscriptionStatus"].(string); return s }

// partition is one publisher's subscriptions, in creation order.
type partition struct {
	order []string
	subs  map[string]*record
}

// data is the emulator's whole state. Only store.do touches it.
type data struct {
	config     map[string]any
	offers     map[string]Offer
	publishers map[string]*partition
	// inFlight marks operations whose webhook POST has not returned, for
	// the emulator's "patch before the request returned" warning.
	inFlight map[string]bool
}

// store owns the emulator's state and its lock.
type store struct {
	// mu guards d.
	mu sync.Mutex
	d  data
}

func newStore(config map[string]any) *store {
	s := &store{d: data{config: config, inFlight: map[string]bool{}}}
	s.d.reset()
	return s
}

// do runs f with the state locked. f must not block or call out.
func (s *store) do(f func(d *data)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.d)
}

// reset is clearState then load: no subscriptions, the sample offers
// only. The configuration survives.
func (d *data) reset() {
	d.offers = sampleOffers()
	d.publishers = map[string]*partition{}
}

func (d *data) find(pid, sid string) *record {
	p := d.publishers[pid]
	if p == nil {
		return nil
	}
	return p.subs[sid]
}

// findAnywhere is findSubscriptionAsync: the marketplace-event routes
// look in every publisher.
func (d *data) findAnywhere(sid string) (string, *record) {
	for pid, p := range d.publishers {
		if r := p.subs[sid]; r != nil {
			return pid, r
		}
	}
	return "", nil
}

func (d *data) add(pid string, sub map[string]any) {
	p := d.publishers[pid]
	if p == nil {
		p = &partition{subs: map[string]*record{}}
		d.publishers[pid] = p
	}
	id, _ := sub["id"].(string)
	if _, ok := p.subs[id]; !ok {
		p.order = append(p.order, id)
	}
	p.subs[id] = &record{sub: sub}
}

func (d *data) remove(pid, sid string) {
	p := d.publishers[pid]
	if p == nil || p.subs[sid] == nil {
		return
	}
	delete(p.subs, sid)
	for i, id := range p.order {
		if id == sid {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

func (s *store) publisherID() string {
	var pid string
	s.do(func(d *data) { pid, _ = d.config["publisherId"].(string) })
	return pid
}

// delay reads one of the ...MS settings; the emulator passes whatever the
// config holds to setTimeout, which treats a non-number as 0.
func (s *store) delay(key string) time.Duration {
	var ms float64
	s.do(func(d *data) { ms, _ = d.config[key].(float64) })
	if ms < 0 {
		ms = 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

func (s *store) webhookURL() string {
	var u string
	s.do(func(d *data) { u, _ = d.config["webhookUrl"].(string) })
	return u
}

// defaultConfig is the emulator's config object with this fake's options.
func defaultConfig(s settings) map[string]any {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return map[string]any{
		"webhookUrl":                s.webhookURL,
		"landingPageUrl":            "",
		"operationTimeoutMS":        ms(s.operationTimeout),
		"subscriptionUpdateDelayMS": ms(s.updateDelay),
		"webhookCallDelayMS":        0.0,
		"webhookCallPatchDelayMS":   ms(s.patchDelay),
		"publisherId":               "FourthCoffee",
		"requireAuth":               false,
		"noSamples":                 false,
		"webhook":                   map[string]any{},
	}
}

// applyUpdate is queueSubscriptionUpdate's effect of a Succeeded operation
// (research §6). PendingFulfillmentStart and Unsubscribed change for
// nothing (the emulator's "ERROR!" branch).
func (d *data) applyUpdate(op Operation) {
	r := d.find(op.PublisherID, op.SubscriptionID)
	if r == nil {
		return // reset or removed meanwhile: the lookup finds nothing
	}
	switch r.status() {
	case Subscribed:
		switch op.Action {
		case "ChangePlan":
			r.sub["planId"] = op.PlanID
		case "ChangeQuantity":
			r.sub["quantity"] = op.Quantity
		case "Suspend":
			r.sub["saasSubscriptionStatus"] = Suspended
		case "Unsubscribe":
			r.sub["saasSubscriptionStatus"] = Unsubscribed
			delete(r.sub, "quantity")
		}
	case Suspended:
		switch op.Action {
		case "Reinstate":
			r.sub["saasSubscriptionStatus"] = Subscribed
		case "Unsubscribe":
			r.sub["saasSubscriptionStatus"] = Unsubscribed
		}
	}
}

// queueUpdate applies a Succeeded operation after subscriptionUpdateDelayMS.
func (e *Emulator) queueUpdate(op Operation) {
	e.after(e.state.delay("subscriptionUpdateDelayMS"), func() {
		e.state.do(func(d *data) { d.applyUpdate(op) })
	})
}
