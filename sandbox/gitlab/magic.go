package gitlab

import (
	"net/http"

	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
)

// MagicPrefix starts every magic value. An order carries one in its
// externalSubscriptionId (the value itself, or the value followed by "-"
// and anything: "sandbox-zuora-decline-42") or in the local part of the
// contact email (the whole local part or one of its "+" parts:
// "sandbox-email-bounce@example.com", "ada+sandbox-email-bounce@example.com").
const MagicPrefix = "sandbox-"

// MagicValue is a documented value that makes the back office misbehave
// for the order carrying it, without the control API: what test card
// numbers are to payment sandboxes. It acts as a script for that one
// subscription, with id "magic:<name>"; a script posted for the same
// subscription wins over it field by field, and it wins over partner-wide
// and global scripts.
type MagicValue struct {
	// Name is the value without MagicPrefix.
	Name string
	// Outcome says what a partner sees, for the README's table.
	Outcome string
	// Script is the effect, as a script would ask for it.
	Script script.Script
}

// Value is the text an order carries: MagicPrefix + Name.
func (m MagicValue) Value() string { return MagicPrefix + m.Name }

// magicValues is the whole table; the README's "Magic values" section and
// the tests are written from it.
var magicValues = []MagicValue{
	{Name: "zuora-error", Outcome: "Creating → Failed: Zuora refuses the subscription",
		Script: script.Script{Zuora: script.ZuoraScript{Error: "account rejected (sandbox magic value)"}}},
	{Name: "zuora-decline", Outcome: "Created, then the callout is \"Payment Declined\": Created → Failed",
		Script: script.Script{Zuora: script.ZuoraScript{Decline: "card declined (sandbox magic value)"}}},
	{Name: "zuora-slow", Outcome: "Creating for 5 minutes (Zuora latency), then Created and Provisioned as usual",
		Script: script.Script{Zuora: script.ZuoraScript{Latency: "5m"}}},
	{Name: "zuora-timeout", Outcome: "Zuora never answers: Creating → Failed after gitlab.zuora.timeout (60s)",
		Script: script.Script{Zuora: script.ZuoraScript{Timeout: true}}},
	{Name: "salesforce-error", Outcome: "Creating → Failed: Salesforce cannot create the order's objects",
		Script: script.Script{Salesforce: script.SalesforceScript{Error: "duplicate account (sandbox magic value)"}}},
	{Name: "callout-drop", Outcome: "the callout never comes: Created forever",
		Script: script.Script{Callout: script.CalloutScript{Drop: true}}},
	{Name: "callout-duplicate", Outcome: "the callout is delivered twice with one Zuora-Notification-Id: provisioned once, one email",
		Script: script.Script{Callout: script.CalloutScript{Duplicate: 1}}},
	{Name: "callout-fail-twice", Outcome: "the portal answers 500 to the first two deliveries: Provisioned on Zuora's third attempt, 60 minutes later",
		Script: script.Script{Callout: script.CalloutScript{FailTimes: 2}}},
	{Name: "callout-delay-30m", Outcome: "the callout comes 30 minutes after Created instead of 2 seconds",
		Script: script.Script{Callout: script.CalloutScript{Delay: "30m"}}},
	{Name: "callout-manual", Outcome: "the callout waits in GET /_sandbox/gitlab/callouts/pending until fired: Created until then",
		Script: script.Script{Callout: script.CalloutScript{Manual: true}}},
	{Name: "license-error", Outcome: "the license build fails after the callout: Created → Failed",
		Script: script.Script{Provisioning: script.Provisioning{Error: "license service unavailable (sandbox magic value)"}}},
	{Name: "email-bounce", Outcome: "Provisioned, but the license email is recorded as bounced in the outbox",
		Script: script.Script{License: script.LicenseScript{Bounce: "550 mailbox unavailable (sandbox magic value)"}}},
}

// MagicValues lists every magic value, for documentation and tests.
func MagicValues() []MagicValue { return append([]MagicValue(nil), magicValues...) }

// magicScripts returns the scripts the order's magic values ask for: the
// one in externalSubscriptionId first, then the one in the email.
func magicScripts(o subscription.Order) []script.Script {
	if !strings.Contains(o.ExternalSubscriptionID, MagicPrefix) && !strings.Contains(o.Customer.Contact.Email, MagicPrefix) {
		return nil // the common case, on the create path
	}
	var out []script.Script
	for _, m := range magicValues {
		if v := m.Value(); o.ExternalSubscriptionID == v || strings.HasPrefix(o.ExternalSubscriptionID, v+"-") {
			out = append(out, m.script())
		}
	}
	local, _, _ := strings.Cut(o.Customer.Contact.Email, "@")
	for _, part := range strings.Split(local, "+") {
		for _, m := range magicValues {
			if part == m.Value() {
				out = append(out, m.script())
			}
		}
	}
	return out
}

func (m MagicValue) script() script.Script {
	s := m.Script
	s.ID = "magic:" + m.Name
	return s
}

// magicView is one row of GET /_sandbox/gitlab/magic.
type magicView struct {
	Value   string        `json:"value"`
	Outcome string        `json:"outcome"`
	Script  script.Script `json:"script"`
}

// listMagic is GET /_sandbox/gitlab/magic: whether magic values are on
// (gitlab.magic_values) and the whole table, so a harness can tell a
// sandbox that honours them from one started with them off.
func (p *Portal) listMagic(w http.ResponseWriter, r *http.Request) error {
	if err := noInput(r); err != nil {
		return err
	}
	out := struct {
		Enabled bool        `json:"enabled"`
		Values  []magicView `json:"values"`
	}{Enabled: p.settings.MagicValues, Values: make([]magicView, 0, len(magicValues))}
	for _, m := range magicValues {
		out.Values = append(out.Values, magicView{Value: m.Value(), Outcome: m.Outcome, Script: m.script()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
