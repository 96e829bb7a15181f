package scenario

import (
	"maps"
	"slices"
)

// Capabilities a target may offer beyond the marketplace API itself. Only
// our sandbox offers them all; Microsoft's emulator offers some through
// its own routes (the engine's emulator adapter); a scenario that needs one
// the target lacks is skipped with the reason.
const (
	// CapabilityControl is a control API: for GitLab our sandbox's
	// /_sandbox (the virtual clock, reset, the fixtures, the back office's
	// records); for Microsoft a way to make purchases, raise the
	// marketplace's own events and read a subscription as the marketplace
	// holds it (our sandbox's /_sandbox/microsoft, the emulator's util
	// routes).
	CapabilityControl = "control"
	// CapabilityClock is a clock the harness can move (POST
	// /_sandbox/clock/advance): renewals, the 30 days of suspension, token
	// expiry and webhook retries happen without waiting. GitLab's scenarios
	// reach it through "control" (every sandbox that has one has both).
	CapabilityClock = "clock"
	// CapabilityFaults is HTTP fault injection on the sandbox's own API
	// (/_sandbox/faults), the request journal (/_sandbox/journal) and, for
	// Microsoft, the records and rules of webhook deliveries and usage.
	CapabilityFaults = "faults"
	// CapabilityScripts is scripting the fake back office per order
	// (/_sandbox/gitlab/scripts: Zuora, Salesforce, callouts, provisioning,
	// license mail) and firing or dropping held callouts by hand.
	CapabilityScripts = "scripts"
	// CapabilityMagic is behaviour chosen by "magic values" written in the
	// order itself, with no control call: the scenario only sends orders,
	// but no real portal reacts to them, so it still needs our sandbox.
	CapabilityMagic = "magic"
	// CapabilityWebhooks is a target that delivers Microsoft's webhooks to
	// the harness's own receiver (it can be pointed at it): our sandbox
	// and the emulator through their control APIs.
	CapabilityWebhooks = "webhooks"
	// CapabilityTokens is an Entra token service for Microsoft's
	// publishers: our sandbox's, or Entra itself for the live service (the
	// configuration's microsoft.authority). Microsoft's emulator has none;
	// against it the harness makes the tokens the emulator reads.
	CapabilityTokens = "tokens"
)

// Capabilities lists every capability a scenario may declare in needs.
func Capabilities() []string {
	return []string{CapabilityControl, CapabilityClock, CapabilityFaults, CapabilityScripts, CapabilityMagic, CapabilityWebhooks, CapabilityTokens}
}

// The APIs a scenario may be written for (its `api:`), each with its own
// dialect: credentials, token service, error envelope, control vocabulary.
const (
	APIGitLab    = "gitlab"
	APIMicrosoft = "microsoft"
)

// APIs lists the scenario dialects.
func APIs() []string { return []string{APIGitLab, APIMicrosoft} }

// ControlAction is one verb of the control vocabulary as the scenario
// format sees it. The engine maps each verb to a request of the target's
// control API (conformance/engine/control.go); the schema checks its
// `with` (scenario.schema.json, $defs/control).
type ControlAction struct {
	// Capability is what the target must offer for the action, and what
	// the scenario must declare in needs (besides "control").
	Capability string
}

// ControlActions is the GitLab dialect's control vocabulary by name.
func ControlActions() map[string]ControlAction { return ControlActionsFor(APIGitLab) }

// ControlActionsFor is the control vocabulary of an API by name: the verbs
// every marketplace of our sandbox shares (reset, the clock, faults and the
// journal) and the marketplace's own.
func ControlActionsFor(api string) map[string]ControlAction {
	control := ControlAction{Capability: CapabilityControl}
	faults := ControlAction{Capability: CapabilityFaults}
	scripts := ControlAction{Capability: CapabilityScripts}
	shared := map[string]ControlAction{
		"reset":     control,
		"fault.add": faults, "fault.get": faults, "fault.delete": faults,
		"faults.list": faults, "faults.clear": faults, "faults.seed": faults,
		"journal.query": faults,
	}
	switch api {
	case APIMicrosoft:
		maps.Copy(shared, map[string]ControlAction{
			"clock.advance": {Capability: CapabilityClock},
			"purchase":      control, "event": control,
			"subscription.get": control, "subscriptions.list": control,
			"webhooks.list": faults, "webhooks.pending": faults,
			"webhook.fire": faults, "webhook.drop": faults,
			"webhook-rule.add": faults, "webhook-rule.delete": faults,
			"usage.list": faults,
		})
	default:
		maps.Copy(shared, map[string]ControlAction{
			"clock.advance":      control,
			"subscriptions.list": control, "callouts.list": control, "outbox.list": control,
			"script.add": scripts, "script.get": scripts, "script.delete": scripts,
			"scripts.list": scripts, "scripts.clear": scripts,
			"callouts.pending": scripts, "callout.fire": scripts, "callout.drop": scripts,
		})
	}
	return shared
}

// ControlActionNames returns the GitLab vocabulary's names, sorted.
func ControlActionNames() []string { return slices.Sorted(maps.Keys(ControlActions())) }

// AllControlActionNames returns every API's verbs, sorted: the schema's
// enum.
func AllControlActionNames() []string {
	set := map[string]bool{}
	for _, api := range APIs() {
		for n := range ControlActionsFor(api) {
			set[n] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// CredentialNamesFor returns the credential names of an API's scenarios:
// GitLab's client allowed to create, a read-only client and a second
// partner; Microsoft's publisher and a second publisher.
func CredentialNamesFor(api string) []string {
	if api == APIMicrosoft {
		return []string{"publisher", "second"}
	}
	return CredentialNames()
}

// credentialFieldsFor are the readable fields of an API's credentials.
func credentialFieldsFor(api string) []string {
	if api == APIMicrosoft {
		return []string{"tenantId", "clientId", "clientSecret", "publisherId"}
	}
	return credentialFields
}

// targetFieldsFor are the readable fields of the target for an API.
func targetFieldsFor(api string) []string {
	if api == APIMicrosoft {
		return MicrosoftTargetFields()
	}
	return targetFields
}

// MicrosoftTargetFields are ${target.*} of Microsoft scenarios: the API
// root, and the catalogue the pack buys from, discovered on our sandbox
// and given in the target configuration elsewhere.
func MicrosoftTargetFields() []string {
	return []string{"url", "offerId", "perSeatPlan", "perSeatMax", "flatPlan", "otherFlatPlan",
		"meteredPlan", "dimension", "trialPlan", "subscriptionId", "webhookUrl"}
}
