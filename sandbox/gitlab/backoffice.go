package gitlab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// placeOrder runs steps 4 and 5 of the purchase flow (reference §1): Zuora
// creates the subscription, Salesforce the objects. With no latency both
// answer within the create request and it returns the Created order; with
// latency the steps wait on the sandbox clock and the order shows Creating
// until they are done.
func (p *Portal) placeOrder(ctx context.Context, key subscription.Key) subscription.Subscription {
	p.after(ctx, p.settings.Zuora.Latency, "zuora creates subscription for "+describe(key), func(ctx context.Context) {
		p.zuoraCreates(ctx, key)
	})
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

func (p *Portal) zuoraCreates(ctx context.Context, key subscription.Key) {
	partner := p.partners[key.Partner]
	z := p.zuora.CreateSubscription(partner.ZuoraInvoiceOwner)
	now := p.clock.Now()
	err := p.subscriptions.Apply(key, func(s *subscription.Subscription) error {
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
	p.after(ctx, p.settings.Salesforce.Latency, "salesforce creates objects for "+describe(key), func(ctx context.Context) {
		p.salesforceCreates(key)
	})
}

func (p *Portal) salesforceCreates(key subscription.Key) {
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
	p.callouts.Schedule(note, p.settings.Zuora.CalloutDelay)
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
	code := license.NewActivationCode()
	msg := p.outbox.Send(ctx, license.Compose(grantOf(sub, now), code, p.settings.License.From))
	p.subscriptions.Note(key, subscription.KindLicense, now, fmt.Sprintf("activation code emailed to %s (%s, smtp %s)", msg.To, msg.ID, msg.SMTP))
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
