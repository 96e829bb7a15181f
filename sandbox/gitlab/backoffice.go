package gitlab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// placeOrder runs steps 4 and 5 of the purchase flow (docs/gitlab.md §1): Zuora
// creates the subscription, Salesforce the objects. With no latency both
// answer within the create request and it returns the Created order; with
// latency the steps wait on the sandbox clock and the order shows Creating
// until they are done. Back-office scripts are consulted at each step.
func (p *Portal) placeOrder(ctx context.Context, key subscription.Key, order subscription.Order) subscription.Subscription {
	plan := p.planFor(key, order)
	now := p.clock.Now()
	if d := plan.Describe(); d != "" {
		p.subscriptions.Record(key, subscription.Event{At: now, Kind: subscription.KindScript, Detail: "scripted effects in force: " + d})
	}
	if plan.ZuoraTimeout.Set() {
		p.record(key, now, subscription.KindZuora, "Zuora does not answer; the portal gives up after gitlab.zuora.timeout", plan.ZuoraTimeout.Script)
		p.clock.AfterFunc(p.settings.Zuora.Timeout, "portal gives up waiting for zuora for "+describe(key), func(context.Context) {
			p.fail(key, subscription.KindZuora, "Zuora did not answer within "+seconds(p.settings.Zuora.Timeout), plan.ZuoraTimeout.Script)
		})
	} else {
		latency := p.settings.Zuora.Latency
		if plan.ZuoraLatency.Set() {
			latency = plan.ZuoraLatency.Value
			p.record(key, now, subscription.KindZuora, "Zuora answers after "+latency.String(), plan.ZuoraLatency.Script)
		}
		p.after(ctx, latency, "zuora creates subscription for "+describe(key), func(ctx context.Context) {
			p.zuoraCreates(ctx, key, order)
		})
	}
	sub, _ := p.subscriptions.Get(key)
	return sub
}

// after runs job now when d is zero, else schedules it on the clock.
func (p *Portal) after(ctx context.Context, d time.Duration, name string, job func(context.Context)) {
	if d == 0 {
		job(ctx)
		return
	}
	p.clock.AfterFunc(d, name, job)
}

func (p *Portal) zuoraCreates(ctx context.Context, key subscription.Key, order subscription.Order) {
	plan := p.planFor(key, order)
	if plan.ZuoraError.Set() {
		p.fail(key, subscription.KindZuora, "Zuora refused the subscription: "+plan.ZuoraError.Value, plan.ZuoraError.Script)
		return
	}
	partner := p.partners[key.Partner]
	z := p.zuora.CreateSubscription(partner.ZuoraInvoiceOwner)
	now := p.clock.Now()
	err := p.subscriptions.Apply(key, func(s *subscription.Subscription) error {
		if s.Status != subscription.Creating {
			return subscription.ErrTransition{From: s.Status, To: subscription.Created}
		}
		s.Number = z.SubscriptionNumber
		s.Zuora = subscription.ZuoraRefs{AccountNumber: z.AccountNumber, OrderNumber: z.OrderNumber, InvoiceOwner: z.InvoiceOwner}
		s.UpdatedAt = now
		s.Timeline = append(s.Timeline, subscription.Event{At: now, Kind: subscription.KindZuora,
			Detail: fmt.Sprintf("subscription %s created (account %s, order %s, invoice owner %s)", z.SubscriptionNumber, z.AccountNumber, z.OrderNumber, z.InvoiceOwner)})
		return nil
	})
	if err != nil {
		return // reset while Zuora was working
	}
	latency := p.settings.Salesforce.Latency
	if plan.SalesforceLatency.Set() {
		latency = plan.SalesforceLatency.Value
		p.record(key, now, subscription.KindSalesforce, "Salesforce answers after "+latency.String(), plan.SalesforceLatency.Script)
	}
	p.after(ctx, latency, "salesforce creates objects for "+describe(key), func(ctx context.Context) {
		p.salesforceCreates(key, order)
	})
}

func (p *Portal) salesforceCreates(key subscription.Key, order subscription.Order) {
	plan := p.planFor(key, order)
	if plan.SalesforceError.Set() {
		p.fail(key, subscription.KindSalesforce, "Salesforce could not create the order's objects: "+plan.SalesforceError.Value, plan.SalesforceError.Script)
		return
	}
	objects := p.salesforce.CreateOrderObjects()
	now := p.clock.Now()
	names := make([]string, len(objects))
	var note zuora.Notification
	err := p.subscriptions.Apply(key, func(s *subscription.Subscription) error {
		if !s.Status.CanBecome(subscription.Created) {
			return subscription.ErrTransition{From: s.Status, To: subscription.Created}
		}
		for i, o := range objects {
			s.Salesforce = append(s.Salesforce, subscription.SalesforceObject{Type: o.Type, ID: o.ID})
			names[i] = o.Type + " " + o.ID
		}
		s.Timeline = append(s.Timeline, subscription.Event{At: now, Kind: subscription.KindSalesforce, Detail: "created " + strings.Join(names, ", ")})
		note = zuora.Notification{SubscriptionNumber: s.Number, AccountNumber: s.Zuora.AccountNumber, OrderNumber: s.Zuora.OrderNumber}
		return s.MoveTo(subscription.Created, now, "Zuora subscription and Salesforce objects exist")
	})
	if err != nil {
		p.log.Warn("order could not become Created", "subscription", describe(key), "err", err)
		return
	}
	note.ID, note.Event = zuora.NewNotificationID(), zuora.EventOrderProcessed
	if plan.ZuoraDecline.Set() {
		note.Event, note.Reason = zuora.EventPaymentDeclined, plan.ZuoraDecline.Value
		p.record(key, now, subscription.KindZuora, "Zuora declines the payment: its callout will be \"Payment Declined\"", plan.ZuoraDecline.Script)
	}
	p.callouts.Schedule(note, p.calloutPlan(plan))
}

// calloutPlan turns the scripted callout effects and the callout mode into
// how the fake Zuora treats this order's notification.
func (p *Portal) calloutPlan(plan script.Plan) zuora.Plan {
	zp := zuora.Plan{
		Delay: p.settings.Zuora.CalloutDelay, Auth: plan.CalloutAuth.Value,
		Copies: plan.CalloutDuplicate.Value, CopiesScript: plan.CalloutDuplicate.Script,
	}
	if plan.CalloutDelay.Set() {
		zp.Delay = plan.CalloutDelay.Value
	}
	if plan.CalloutDrop.Set() {
		zp.Drop = zuora.Cause{Why: "dropped by " + plan.CalloutDrop.Cause(), Script: plan.CalloutDrop.Script}
	}
	switch {
	case plan.CalloutManual.Set():
		zp.Hold = zuora.Cause{Why: "manual: waits to be fired (" + plan.CalloutManual.Cause() + ")", Script: plan.CalloutManual.Script}
	case p.settings.Zuora.CalloutMode == "manual":
		zp.Hold = zuora.Cause{Why: "manual: waits to be fired (gitlab.zuora.callout_mode is manual)"}
	}
	if plan.CalloutReorder.Set() {
		zp.Reorder = zuora.Cause{Why: "reorder: held until Zuora sends another callout (" + plan.CalloutReorder.Cause() + ")", Script: plan.CalloutReorder.Script}
	}
	return zp
}

// provision is the portal's background worker for an accepted callout:
// it skips subscriptions that are not Created, builds the license, sends
// the notification and marks the subscription Provisioned.
func (p *Portal) provision(ctx context.Context, key subscription.Key) {
	sub, err := p.subscriptions.Get(key)
	if err != nil {
		return
	}
	now := p.clock.Now()
	if sub.Status != subscription.Created {
		p.subscriptions.Note(key, subscription.KindCallout, now, "provisioning skipped: subscription is "+string(sub.Status))
		return
	}
	plan := p.planFor(key, sub.Order)
	if plan.ProvisioningError.Set() {
		p.fail(key, subscription.KindLicense, "the license could not be built: "+plan.ProvisioningError.Value, plan.ProvisioningError.Script)
		return
	}
	code := license.NewActivationCode()
	msg := license.Compose(grantOf(sub, now), code, p.settings.License.From)
	msg.Bounced, msg.BounceReason = plan.LicenseBounce.Set(), plan.LicenseBounce.Value
	msg = p.outbox.Send(ctx, msg)
	p.subscriptions.Note(key, subscription.KindLicense, now, fmt.Sprintf("activation code emailed to %s (%s, smtp %s)", msg.To, msg.ID, msg.SMTP))
	if msg.Bounced {
		p.record(key, now, subscription.KindLicense, fmt.Sprintf("email %s to %s bounced: %s", msg.ID, msg.To, msg.BounceReason), plan.LicenseBounce.Script)
	}
	err = p.subscriptions.Apply(key, func(s *subscription.Subscription) error {
		if err := s.MoveTo(subscription.Provisioned, now, "callout processed, license built and sent"); err != nil {
			return err
		}
		s.ActivationCode = code
		return nil
	})
	if err != nil {
		p.log.Warn("provisioning could not complete", "subscription", describe(key), "err", err)
	}
}

// record writes a scripted back-office event, naming its script.
func (p *Portal) record(key subscription.Key, at time.Time, kind, detail, scriptID string) {
	p.subscriptions.Record(key, subscription.Event{At: at, Kind: kind, Detail: detail + " (script " + scriptID + ")", Script: scriptID})
}

// fail records a scripted failure and moves the order to Failed, if the
// status graph allows it (a reset or an earlier failure may have won).
func (p *Portal) fail(key subscription.Key, kind, reason, scriptID string) {
	now := p.clock.Now()
	p.record(key, now, kind, reason, scriptID)
	if err := p.subscriptions.Fail(key, now, reason, scriptID); err != nil {
		p.log.Debug("scripted failure not applied", "subscription", describe(key), "err", err)
	}
}

// seconds writes a whole number of seconds as "60s", as people say it.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

func grantOf(s subscription.Subscription, now time.Time) license.Grant {
	g := license.Grant{
		Partner:            s.Partner,
		SubscriptionNumber: s.Number,
		CompanyName:        s.Order.Customer.CompanyName,
		ContactName:        s.Order.Customer.Contact.FirstName + " " + s.Order.Customer.Contact.LastName,
		Email:              s.Order.Customer.Contact.Email,
		Start:              now,
	}
	for _, l := range s.Order.OrderLines {
		g.Products = append(g.Products, l.ProductID)
		g.Users += l.Quantity
	}
	return g
}

func describe(k subscription.Key) string { return k.Partner + "/" + k.ExternalID }
