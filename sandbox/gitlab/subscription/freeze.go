package subscription

import (
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/compact"
)

// frozenRecord is what a final record keeps, frozen: the subscription
// and what a replayed create needs.
type frozenRecord struct {
	Sub Subscription `json:"s"`
	// Fingerprint is bytes (a hash), which a JSON string would mangle.
	Fingerprint []byte `json:"f"`
	ReplyStatus int    `json:"rs"`
	ReplyBody   string `json:"rb"`
	// Notifications are Sub.notifications, which Sub's JSON leaves out.
	Notifications []string `json:"n,omitempty"`
}

func (f frozenRecord) reply() *Reply {
	return &Reply{Status: f.ReplyStatus, Body: []byte(f.ReplyBody)}
}

// codec freezes final records against a dictionary of a typical one: a
// provisioned order with the timeline the back office writes (the texts
// of sandbox/gitlab's timeline events). A record that differs from it
// only costs more bytes; nothing depends on the sample being current.
var codec = compact.NewCodec(typicalFailed(), typicalProvisioned())

func typicalProvisioned() frozenRecord {
	at := time.Date(2026, 12, 1, 9, 30, 0, 123456789, time.UTC)
	later := at.Add(2 * time.Second)
	sub := Subscription{
		Key:    Key{Partner: "demo-partner", ExternalID: "order-000001"},
		Number: "A-S00000001", Status: Provisioned,
		Order: Order{ExternalSubscriptionID: "order-000001", TradingPartnerID: "TP-DEMO-001",
			Customer: Customer{CompanyName: "Acme Corp", Contact: Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"},
				Address: Address{Country: "GB"}},
			OrderLines: []OrderLine{{ProductID: "2c92a00d76f0d5060176f2fb0a5029ff", Quantity: 10}}},
		Zuora: ZuoraRefs{AccountNumber: "A00000001", OrderNumber: "O-00000001", InvoiceOwner: "A90000001"},
		Salesforce: []SalesforceObject{{Type: "Account", ID: "0015g0000000001AAA"}, {Type: "Opportunity", ID: "0065g0000000002AAA"},
			{Type: "Quote", ID: "0Q05g0000000003CAA"}},
		ActivationCode: "ZXTeTziBNHtXjBzNupxbvGwm", CreatedAt: at, UpdatedAt: later,
		Timeline: []Event{
			{At: at, Kind: KindStatus, To: Creating, Detail: "order accepted"},
			{At: at, Kind: KindZuora, Detail: "subscription A-S00000001 created (account A00000001, order O-00000001, invoice owner A90000001)"},
			{At: at, Kind: KindSalesforce, Detail: "created Account 0015g0000000001AAA, Opportunity 0065g0000000002AAA, Quote 0Q05g0000000003CAA"},
			{At: at, Kind: KindStatus, From: Creating, To: Created, Detail: "Zuora subscription and Salesforce objects exist"},
			{At: later, Kind: KindCallout, Detail: "zuora callout attempt 1 (0123456789abcdef0123456789abcdef): challenged, HTTP 401"},
			{At: later, Kind: KindCallout, Detail: "\"Order Processed\" notification 0123456789abcdef0123456789abcdef accepted"},
			{At: later, Kind: KindCallout, Detail: "zuora callout attempt 1 (0123456789abcdef0123456789abcdef): delivered, HTTP 200"},
			{At: later, Kind: KindLicense, Detail: "activation code emailed to ada@example.com (msg-000001, smtp disabled)"},
			{At: later, Kind: KindStatus, From: Created, To: Provisioned, Detail: "callout processed, license built and sent"},
		},
	}
	return frozenRecord{Sub: sub, Fingerprint: make([]byte, 32), ReplyStatus: 201,
		ReplyBody: `{"externalSubscriptionId":"order-000001","status":"Creating"}`}
}

func typicalFailed() frozenRecord {
	f := typicalProvisioned()
	f.Sub.Status, f.Sub.FailureReason, f.Sub.ActivationCode = Failed, "zuora callout abandoned", ""
	f.Sub.Timeline = append(f.Sub.Timeline[:4:4],
		Event{At: f.Sub.UpdatedAt, Kind: KindCallout, Detail: "zuora callout attempt 3 (0123456789abcdef0123456789abcdef): abandoned, HTTP 500"},
		Event{At: f.Sub.UpdatedAt, Kind: KindStatus, From: Created, To: Failed, Detail: "zuora callout abandoned"})
	return f
}

func freeze(f frozenRecord) ([]byte, error) {
	f.Notifications = f.Sub.notifications
	return codec.Freeze(f)
}

func thaw(b []byte) (frozenRecord, error) {
	var f frozenRecord
	err := codec.Thaw(b, &f)
	f.Sub.notifications = f.Notifications
	return f, err
}

// thawCacheSize is how many thawed final subscriptions a store keeps at
// hand: a few megabytes, whatever the store holds.
const thawCacheSize = 1024

// thawCache keeps the last thawCacheSize frozen subscriptions read, as
// values; the oldest put goes first. Its owner locks it and drops an
// entry whenever the record changes.
type thawCache struct {
	subs  map[*record]Subscription
	order []*record // oldest first
}

func (c *thawCache) get(r *record) (Subscription, bool) {
	sub, ok := c.subs[r]
	return sub, ok
}

func (c *thawCache) put(r *record, sub Subscription) {
	if c.subs == nil {
		c.subs = map[*record]Subscription{}
	}
	if _, ok := c.subs[r]; !ok {
		c.order = append(c.order, r)
	}
	c.subs[r] = sub
	for len(c.subs) > thawCacheSize && len(c.order) > 0 {
		delete(c.subs, c.order[0])
		c.order = c.order[1:]
	}
	if len(c.order) > 4*thawCacheSize { // dropped entries left in order
		kept := make([]*record, 0, len(c.subs))
		for _, o := range c.order {
			if _, ok := c.subs[o]; ok {
				kept = append(kept, o)
			}
		}
		c.order = kept
	}
}

func (c *thawCache) drop(r *record) { delete(c.subs, r) }
