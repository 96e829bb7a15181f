package subscription

import "time"

// The state machine of docs/microsoft.md §5. Each transition checks that
// the subscription's status allows it and changes it in place; the store
// runs them under its lock. Messages follow the live service's wording
// where docs/microsoft.md §4 records it.

// Activation is what the publisher's activate call asks for.
type Activation struct {
	// CheckPurchase, when set, refuses an activation whose plan or
	// quantity is not the purchase's (the docs profile; the live service
	// does not check). It runs once the status allows the activation, and
	// its error is returned as it is: the marketplace, which knows the
	// plans, words it.
	CheckPurchase func(s Subscription) error
	// TrialMonths is the length of a free trial.
	TrialMonths int
}

// Activate starts the subscription: PendingFulfillmentStart → Subscribed,
// with its first term starting today.
func (s *Subscription) Activate(a Activation, now time.Time) error {
	switch s.SaasSubscriptionStatus {
	case PendingFulfillmentStart:
	case Subscribed:
		return Refuse(WrongState, "Subscription %s is already activated.", s.ID)
	case Suspended:
		return Refuse(WrongState, "Subscription %s is suspended and cannot be activated.", s.ID)
	default:
		return Refuse(WrongState, "Subscription %s is %s and cannot be activated.", s.ID, s.SaasSubscriptionStatus)
	}
	if a.CheckPurchase != nil {
		if err := a.CheckPurchase(*s); err != nil {
			return err
		}
	}
	term, err := termFrom(now, s.Term.TermUnit)
	if err != nil {
		return Refuse(Invalid, "%v", err)
	}
	s.Term = term
	s.SaasSubscriptionStatus = Subscribed
	if s.IsFreeTrial {
		s.trialEnds = AddMonths(*term.StartDate, max(a.TrialMonths, 1))
	}
	return nil
}

// Suspend is a failed payment: Subscribed → Suspended.
func (s *Subscription) Suspend(now time.Time) error {
	if s.SaasSubscriptionStatus != Subscribed {
		return Refuse(WrongState, "Only a Subscribed subscription can be suspended; %s is %s.", s.ID, s.SaasSubscriptionStatus)
	}
	s.SaasSubscriptionStatus = Suspended
	s.suspendedAt = now
	return nil
}

// Reinstate is a recovered payment: Suspended → Subscribed.
func (s *Subscription) Reinstate() error {
	if s.SaasSubscriptionStatus != Suspended {
		return Refuse(WrongState, "Only a Suspended subscription can be reinstated; %s is %s.", s.ID, s.SaasSubscriptionStatus)
	}
	s.SaasSubscriptionStatus = Subscribed
	s.suspendedAt = time.Time{}
	return nil
}

// Unsubscribe ends the subscription from any status but Unsubscribed.
// dropQuantity removes the quantity, as the live service does.
func (s *Subscription) Unsubscribe(dropQuantity bool) error {
	if s.SaasSubscriptionStatus == Unsubscribed {
		return Refuse(WrongState, "Subscription %s is already unsubscribed.", s.ID)
	}
	s.SaasSubscriptionStatus = Unsubscribed
	s.suspendedAt = time.Time{}
	if dropQuantity {
		s.Quantity = 0
	}
	return nil
}

// Renew starts the next term on from's day: at term end the day after the
// current term's last, for a Renew event today. Only a Subscribed
// subscription renews (a Suspended one waits for the 30-day rule).
func (s *Subscription) Renew(from time.Time) error {
	if s.SaasSubscriptionStatus != Subscribed || s.Term.EndDate == nil {
		return Refuse(WrongState, "Only a Subscribed subscription can be renewed; %s is %s.", s.ID, s.SaasSubscriptionStatus)
	}
	term, err := termFrom(from, s.Term.TermUnit)
	if err != nil {
		return Refuse(Invalid, "%v", err)
	}
	s.Term = term
	return nil
}

// ConvertTrial ends the free trial: the subscription stays Subscribed and
// is charged from now on.
func (s *Subscription) ConvertTrial() error {
	if !s.IsFreeTrial {
		return Refuse(WrongState, "Subscription %s is not in a free trial.", s.ID)
	}
	s.IsFreeTrial = false
	s.trialEnds = time.Time{}
	return nil
}

// CheckChangeable refuses a change of plan or quantity, or a publisher's
// update, on a subscription that is not Subscribed.
func (s Subscription) CheckChangeable() error {
	if s.SaasSubscriptionStatus != Subscribed {
		return Refuse(WrongState, "Subscription %s is %s; only a Subscribed subscription can be changed.", s.ID, s.SaasSubscriptionStatus)
	}
	return nil
}

// Change is what an operation applies when it succeeds.
type Change struct {
	Action Action
	// PlanID and Quantity are the subscription's plan and quantity once
	// the change applies (a ChangePlan sets both: a flat-rate plan has no
	// quantity).
	PlanID   string
	Quantity int
	// DropQuantity is for Unsubscribe (see Unsubscribe).
	DropQuantity bool
}

// apply makes the change; a subscription that moved on meanwhile (no
// longer Subscribed) refuses it, and the operation ends Conflict.
func (s *Subscription) apply(c Change) error {
	switch c.Action {
	case ActionChangePlan:
		if err := s.CheckChangeable(); err != nil {
			return err
		}
		s.PlanID, s.Quantity = c.PlanID, c.Quantity
	case ActionChangeQuantity:
		if err := s.CheckChangeable(); err != nil {
			return err
		}
		s.Quantity = c.Quantity
	case ActionUnsubscribe:
		return s.Unsubscribe(c.DropQuantity)
	}
	return nil
}
