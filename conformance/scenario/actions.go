package scenario

import (
	"maps"
	"slices"
)

// Capabilities a target may offer beyond the marketplace API itself. Only
// our sandbox offers them; a scenario that needs one is skipped elsewhere.
const (
	// CapabilityControl is the sandbox control API (/_sandbox): the virtual
	// clock, reset, the fixtures, and the back office's records (callouts
	// Zuora made, the license outbox, every subscription's timeline).
	CapabilityControl = "control"
	// CapabilityFaults is HTTP fault injection on the sandbox's own API
	// (/_sandbox/faults) and the request journal (/_sandbox/journal).
	CapabilityFaults = "faults"
	// CapabilityScripts is scripting the fake back office per order
	// (/_sandbox/gitlab/scripts: Zuora, Salesforce, callouts, provisioning,
	// license mail) and firing or dropping held callouts by hand.
	CapabilityScripts = "scripts"
	// CapabilityMagic is behaviour chosen by "magic values" written in the
	// order itself, with no control call: the scenario only sends orders,
	// but no real portal reacts to them, so it still needs our sandbox.
	CapabilityMagic = "magic"
)

// Capabilities lists every capability a scenario may declare in needs.
func Capabilities() []string {
	return []string{CapabilityControl, CapabilityFaults, CapabilityScripts, CapabilityMagic}
}

// ControlAction is one verb of the control vocabulary as the scenario
// format sees it. The engine maps each verb to a request of the sandbox's
// control API (conformance/engine/control.go); the schema checks its
// `with` (scenario.schema.json, $defs/control).
type ControlAction struct {
	// Capability is what the target must offer for the action, and what
	// the scenario must declare in needs (besides "control").
	Capability string
}

// ControlActions is the whole control vocabulary by name.
func ControlActions() map[string]ControlAction {
	control := ControlAction{Capability: CapabilityControl}
	faults := ControlAction{Capability: CapabilityFaults}
	scripts := ControlAction{Capability: CapabilityScripts}
	return map[string]ControlAction{
		"reset": control, "clock.advance": control,
		"subscriptions.list": control, "callouts.list": control, "outbox.list": control,

		"fault.add": faults, "fault.get": faults, "fault.delete": faults,
		"faults.list": faults, "faults.clear": faults, "faults.seed": faults,
		"journal.query": faults,

		"script.add": scripts, "script.get": scripts, "script.delete": scripts,
		"scripts.list": scripts, "scripts.clear": scripts,
		"callouts.pending": scripts, "callout.fire": scripts, "callout.drop": scripts,
	}
}

// ControlActionNames returns the vocabulary's names, sorted.
func ControlActionNames() []string { return slices.Sorted(maps.Keys(ControlActions())) }
