// Package script is the back office's misbehaviour on demand: a script says
// that Zuora, Salesforce, the callouts, the license build or the email of
// some orders go wrong in a named way. Real partners meet these failures
// only by bad luck on GitLab's staging portal; the sandbox lets a test ask
// for them. Scripts live in a Store that can change at run time, and the
// portal consults it each time a back-office step happens, so a script
// added after an order was placed still applies to the steps to come.
package script

import (
	"fmt"
	"strings"
	"time"
)

// Script is one rule: which orders it applies to and what goes wrong for
// them. It applies to one subscription (Partner and ExternalSubscriptionID),
// to every order of a partner (Partner only), or to every order (neither).
// A field left out or zero does not apply, so it never overrides a less
// specific script.
type Script struct {
	ID                     string           `json:"id" yaml:"id"`
	Partner                string           `json:"partner,omitempty" yaml:"partner"`
	ExternalSubscriptionID string           `json:"externalSubscriptionId,omitempty" yaml:"externalSubscriptionId"`
	Zuora                  ZuoraScript      `json:"zuora,omitzero" yaml:"zuora"`
	Salesforce             SalesforceScript `json:"salesforce,omitzero" yaml:"salesforce"`
	Callout                CalloutScript    `json:"callout,omitzero" yaml:"callout"`
	Provisioning           Provisioning     `json:"provisioning,omitzero" yaml:"provisioning"`
	License                LicenseScript    `json:"license,omitzero" yaml:"license"`
}

// ZuoraScript makes the fake Zuora refuse, dawdle, hang or decline.
type ZuoraScript struct {
	// Error makes Zuora refuse to create the subscription: Creating → Failed.
	Error string `json:"error,omitempty" yaml:"error"`
	// Latency is how long Zuora takes to answer (a Go duration such as "5m").
	Latency string `json:"latency,omitempty" yaml:"latency"`
	// Timeout makes Zuora never answer; the portal gives up after
	// gitlab.zuora.timeout and fails the order.
	Timeout bool `json:"timeout,omitempty" yaml:"timeout"`
	// Decline makes Zuora's callout the "Payment Declined" event with this
	// reason instead of "Order Processed": Created → Failed.
	Decline string `json:"decline,omitempty" yaml:"decline"`
}

// SalesforceScript makes the fake Salesforce fail or dawdle.
type SalesforceScript struct {
	Error   string `json:"error,omitempty" yaml:"error"`
	Latency string `json:"latency,omitempty" yaml:"latency"`
}

// CalloutScript changes how Zuora delivers the order's callout and how the
// portal's callout endpoint answers it (docs/gitlab.md §6: retries, duplicates
// and any order of delivery are all things Zuora documents).
type CalloutScript struct {
	// Delay replaces gitlab.zuora.callout_delay.
	Delay string `json:"delay,omitempty" yaml:"delay"`
	// Drop means Zuora never sends the callout.
	Drop bool `json:"drop,omitempty" yaml:"drop"`
	// Duplicate is how many extra copies Zuora delivers with the same
	// Zuora-Notification-Id.
	Duplicate int `json:"duplicate,omitempty" yaml:"duplicate"`
	// Reorder holds the callout until Zuora has sent the next other
	// callout, or for callout_retry_interval after it fell due if no other
	// comes.
	Reorder bool `json:"reorder,omitempty" yaml:"reorder"`
	// FailTimes makes the portal's callout endpoint answer 500 to the
	// first FailTimes authenticated deliveries of the notification.
	FailTimes int `json:"failTimes,omitempty" yaml:"failTimes"`
	// Auth is challenge or preemptive, replacing gitlab.zuora.callout_auth.
	Auth string `json:"auth,omitempty" yaml:"auth"`
	// Manual holds the callout until it is fired through the control API.
	Manual bool `json:"manual,omitempty" yaml:"manual"`
}

// Provisioning makes the portal's license build fail: Created → Failed.
type Provisioning struct {
	Error string `json:"error,omitempty" yaml:"error"`
}

// LicenseScript makes the license email bounce; the order stays
// Provisioned, as a bounce does not undo a real portal's provisioning.
type LicenseScript struct {
	Bounce string `json:"bounce,omitempty" yaml:"bounce"`
}

// Choice is one resolved effect and the script it came from; Script is
// empty when no script sets the effect.
type Choice[T comparable] struct {
	Value  T
	Script string
}

// Set reports whether a script chose this effect.
func (c Choice[T]) Set() bool { return c.Script != "" }

// Cause names the script for timelines: "script s1".
func (c Choice[T]) Cause() string { return "script " + c.Script }

func take[T comparable](c *Choice[T], v T, id string) {
	var zero T
	if c.Script == "" && v != zero {
		*c = Choice[T]{Value: v, Script: id}
	}
}

// Plan is what every script in effect for one order asks for, field by
// field: each effect comes from the most specific script that sets it.
type Plan struct {
	ZuoraError        Choice[string]
	ZuoraLatency      Choice[time.Duration]
	ZuoraTimeout      Choice[bool]
	ZuoraDecline      Choice[string]
	SalesforceError   Choice[string]
	SalesforceLatency Choice[time.Duration]
	CalloutDelay      Choice[time.Duration]
	CalloutDrop       Choice[bool]
	CalloutDuplicate  Choice[int]
	CalloutReorder    Choice[bool]
	CalloutFailTimes  Choice[int]
	CalloutAuth       Choice[string]
	CalloutManual     Choice[bool]
	ProvisioningError Choice[string]
	LicenseBounce     Choice[string]
}

// PlanOf merges scripts, most specific first, into a plan.
func PlanOf(scripts []Script) Plan {
	var p Plan
	for _, s := range scripts {
		id := s.ID
		take(&p.ZuoraError, s.Zuora.Error, id)
		take(&p.ZuoraLatency, duration(s.Zuora.Latency), id)
		take(&p.ZuoraTimeout, s.Zuora.Timeout, id)
		take(&p.ZuoraDecline, s.Zuora.Decline, id)
		take(&p.SalesforceError, s.Salesforce.Error, id)
		take(&p.SalesforceLatency, duration(s.Salesforce.Latency), id)
		take(&p.CalloutDelay, duration(s.Callout.Delay), id)
		take(&p.CalloutDrop, s.Callout.Drop, id)
		take(&p.CalloutDuplicate, s.Callout.Duplicate, id)
		take(&p.CalloutReorder, s.Callout.Reorder, id)
		take(&p.CalloutFailTimes, s.Callout.FailTimes, id)
		take(&p.CalloutAuth, s.Callout.Auth, id)
		take(&p.CalloutManual, s.Callout.Manual, id)
		take(&p.ProvisioningError, s.Provisioning.Error, id)
		take(&p.LicenseBounce, s.License.Bounce, id)
	}
	return p
}

// Describe lists the effects in force and their scripts, for the timeline
// event written when an order is accepted; it is empty when none is.
func (p Plan) Describe() string {
	var parts []string
	add := func(name, id string) {
		if id != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", name, id))
		}
	}
	add("zuora.error", p.ZuoraError.Script)
	add("zuora.latency", p.ZuoraLatency.Script)
	add("zuora.timeout", p.ZuoraTimeout.Script)
	add("zuora.decline", p.ZuoraDecline.Script)
	add("salesforce.error", p.SalesforceError.Script)
	add("salesforce.latency", p.SalesforceLatency.Script)
	add("callout.delay", p.CalloutDelay.Script)
	add("callout.drop", p.CalloutDrop.Script)
	add("callout.duplicate", p.CalloutDuplicate.Script)
	add("callout.reorder", p.CalloutReorder.Script)
	add("callout.failTimes", p.CalloutFailTimes.Script)
	add("callout.auth", p.CalloutAuth.Script)
	add("callout.manual", p.CalloutManual.Script)
	add("provisioning.error", p.ProvisioningError.Script)
	add("license.bounce", p.LicenseBounce.Script)
	return strings.Join(parts, ", ")
}

// duration parses a duration that Validate already accepted.
func duration(text string) time.Duration {
	d, _ := time.ParseDuration(text)
	return d
}
