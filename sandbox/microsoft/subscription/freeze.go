package subscription

import (
	"strings"
	"time"
)

// live is what a record holds while its subscription can still move: the
// subscription, its operations (the pending one among them) and its
// timeline. A final record drops it for its frozen bytes (frozen.go).
type live struct {
	sub      Subscription
	ops      []*opRecord
	pending  *opRecord
	timeline []Event
}

// final reports whether nothing can move the subscription any more but a
// note: Unsubscribed with no operation pending.
func (l *live) final() bool { return l.sub.SaasSubscriptionStatus == Unsubscribed && l.pending == nil }

// freeze encodes l, or reports false for what it cannot encode exactly
// (a time not in UTC, which the sandbox clock never gives).
func freeze(l *live, in *interner) ([]byte, bool) {
	if !l.utc() {
		return nil, false
	}
	e := encoder{b: make([]byte, 0, 512), in: in}
	e.subscription(l.sub)
	e.uvarint(uint64(len(l.ops)))
	for _, o := range l.ops {
		e.operation(o.op)
	}
	e.uvarint(uint64(len(l.timeline)))
	for _, ev := range l.timeline {
		e.when(ev.At)
		e.str(ev.Kind, true)
		e.str(ev.Detail, true)
		e.str(ev.OperationID, false)
		e.uvarint(uint64(ev.Count))
	}
	return append([]byte(nil), e.b...), true
}

// thaw decodes a frozen record.
func thaw(b []byte, in *interner) (*live, error) {
	d := decoder{b: b, in: in}
	l := &live{sub: d.subscription()}
	if n := d.uvarint(); d.err == nil && n <= uint64(len(d.b)) {
		l.ops = make([]*opRecord, n)
		for i := range l.ops {
			l.ops[i] = &opRecord{op: d.operation()}
		}
	}
	if n := d.uvarint(); d.err == nil && n <= uint64(len(d.b)) {
		l.timeline = make([]Event, n)
		for i := range l.timeline {
			ev := &l.timeline[i]
			ev.At, ev.Kind, ev.Detail, ev.OperationID = d.when(), d.str(), d.str(), d.str()
			ev.Count = int(d.uvarint())
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return l, nil
}

func (l *live) utc() bool {
	times := []time.Time{l.sub.Created, l.sub.trialEnds, l.sub.suspendedAt}
	for _, t := range []*time.Time{l.sub.Term.StartDate, l.sub.Term.EndDate} {
		if t != nil {
			times = append(times, *t)
		}
	}
	for _, o := range l.ops {
		times = append(times, o.op.TimeStamp)
	}
	for _, ev := range l.timeline {
		times = append(times, ev.At)
	}
	for _, t := range times {
		if t.Location() != time.UTC {
			return false
		}
	}
	return true
}

// Flags of a frozen subscription.
const (
	flagAutoRenew = 1 << iota
	flagIsTest
	flagIsFreeTrial
	flagDefaultName      // Name is the stored prefix + " " + ID[:8]
	flagPurchaserIsBenef // Purchaser == Beneficiary
	flagNilAllowed       // AllowedCustomerOperations is nil
)

func (e *encoder) subscription(s Subscription) {
	flags := 0
	for bit, on := range map[int]bool{flagAutoRenew: s.AutoRenew, flagIsTest: s.IsTest, flagIsFreeTrial: s.IsFreeTrial,
		flagPurchaserIsBenef: s.Purchaser == s.Beneficiary, flagNilAllowed: s.AllowedCustomerOperations == nil} {
		if on {
			flags |= bit
		}
	}
	prefix, defaultName := strings.CutSuffix(s.Name, " "+s.ID[:min(8, len(s.ID))])
	if defaultName && len(s.ID) >= 8 {
		flags |= flagDefaultName
	}
	e.uvarint(uint64(flags))
	e.str(s.ID, false)
	e.str(s.PublisherID, true)
	e.str(s.OfferID, true)
	if flags&flagDefaultName != 0 {
		e.str(prefix, true)
	} else {
		e.str(s.Name, false)
	}
	e.str(string(s.SaasSubscriptionStatus), true)
	e.identity(s.Beneficiary)
	if flags&flagPurchaserIsBenef == 0 {
		e.identity(s.Purchaser)
	}
	e.str(s.PlanID, true)
	e.varint(int64(s.Quantity))
	e.whenPtr(s.Term.StartDate)
	e.whenPtr(s.Term.EndDate)
	e.str(s.Term.TermUnit, true)
	e.str(s.Term.ChargeDuration, true)
	e.uvarint(uint64(len(s.AllowedCustomerOperations)))
	for _, a := range s.AllowedCustomerOperations {
		e.str(a, true)
	}
	e.str(s.SessionID, false)
	e.str(s.FulfillmentID, false)
	e.str(s.StoreFront, true)
	e.str(s.SandboxType, true)
	e.when(s.Created)
	e.str(s.SessionMode, true)
	e.when(s.trialEnds)
	e.when(s.suspendedAt)
}

func (d *decoder) subscription() Subscription {
	var s Subscription
	flags := d.uvarint()
	s.ID, s.PublisherID, s.OfferID = d.str(), d.str(), d.str()
	s.Name = d.str()
	if flags&flagDefaultName != 0 && len(s.ID) >= 8 {
		s.Name += " " + s.ID[:8]
	}
	s.SaasSubscriptionStatus = Status(d.str())
	s.Beneficiary = d.identity()
	s.Purchaser = s.Beneficiary
	if flags&flagPurchaserIsBenef == 0 {
		s.Purchaser = d.identity()
	}
	s.PlanID = d.str()
	s.Quantity = int(d.varint())
	s.Term.StartDate, s.Term.EndDate = d.whenPtr(), d.whenPtr()
	s.Term.TermUnit, s.Term.ChargeDuration = d.str(), d.str()
	if n := d.uvarint(); flags&flagNilAllowed == 0 && d.err == nil && n <= uint64(len(d.b)) {
		s.AllowedCustomerOperations = make([]string, n)
		for i := range s.AllowedCustomerOperations {
			s.AllowedCustomerOperations[i] = d.str()
		}
	}
	s.SessionID, s.FulfillmentID, s.StoreFront, s.SandboxType = d.str(), d.str(), d.str(), d.str()
	s.Created = d.when()
	s.SessionMode = d.str()
	s.trialEnds, s.suspendedAt = d.when(), d.when()
	s.AutoRenew, s.IsTest, s.IsFreeTrial = flags&flagAutoRenew != 0, flags&flagIsTest != 0, flags&flagIsFreeTrial != 0
	return s
}

// An invented customer (purchase.go's identity) has an e-mail and a PUID
// made from its object id: they are stored as a flag each.
const (
	identityDerivedEmail = 1 << iota
	identityDerivedPUID
)

func derivedEmail(objectID string) string {
	if len(objectID) < 8 {
		return "\x00"
	}
	return "customer-" + objectID[:8] + "@customer.example"
}

func derivedPUID(objectID string) string {
	if len(objectID) < 13 {
		return "\x00"
	}
	return "1003" + strings.ReplaceAll(objectID[:13], "-", "")
}

func (e *encoder) identity(id Identity) {
	flags := 0
	if id.EmailID == derivedEmail(id.ObjectID) {
		flags |= identityDerivedEmail
	}
	if id.PUID == derivedPUID(id.ObjectID) {
		flags |= identityDerivedPUID
	}
	e.uvarint(uint64(flags))
	e.str(id.ObjectID, false)
	e.str(id.TenantID, true)
	if flags&identityDerivedEmail == 0 {
		e.str(id.EmailID, false)
	}
	if flags&identityDerivedPUID == 0 {
		e.str(id.PUID, false)
	}
}

func (d *decoder) identity() Identity {
	var id Identity
	flags := d.uvarint()
	id.ObjectID, id.TenantID = d.str(), d.str()
	if flags&identityDerivedEmail != 0 {
		id.EmailID = derivedEmail(id.ObjectID)
	} else {
		id.EmailID = d.str()
	}
	if flags&identityDerivedPUID != 0 {
		id.PUID = derivedPUID(id.ObjectID)
	} else {
		id.PUID = d.str()
	}
	return id
}

func (e *encoder) operation(o Operation) {
	e.str(o.ID, false)
	e.str(o.ActivityID, false)
	e.str(o.SubscriptionID, false)
	e.str(o.OfferID, true)
	e.str(o.PublisherID, true)
	e.str(o.PlanID, true)
	e.varint(int64(o.Quantity))
	e.str(string(o.Action), true)
	e.when(o.TimeStamp)
	e.str(string(o.Status), true)
	e.str(string(o.OperationRequestSource), true)
	e.str(o.ErrorStatusCode, true)
	e.str(o.ErrorMessage, false)
}

func (d *decoder) operation() Operation {
	var o Operation
	o.ID, o.ActivityID, o.SubscriptionID = d.str(), d.str(), d.str()
	o.OfferID, o.PublisherID, o.PlanID = d.str(), d.str(), d.str()
	o.Quantity = int(d.varint())
	o.Action = Action(d.str())
	o.TimeStamp = d.when()
	o.Status, o.OperationRequestSource = OperationStatus(d.str()), Source(d.str())
	o.ErrorStatusCode, o.ErrorMessage = d.str(), d.str()
	return o
}
