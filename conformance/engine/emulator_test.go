package engine_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/emulatorfake"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// runOnEmulator runs the Microsoft pack against the emulator's imitation
// through the emulator control adapter.
func runOnEmulator(t *testing.T, opts ...emulatorfake.Option) map[string]engine.Result {
	t.Helper()
	emu := emulatorfake.New(append([]emulatorfake.Option{emulatorfake.WithWebhookPatchDelay(300 * time.Millisecond)}, opts...)...)
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return runMicrosoftPackOn(t, target.Config{URL: srv.URL, Control: target.ControlEmulator}, nil)
}

// The emulator's deviations from Microsoft's documented API (reference
// §8, docs/conformance-emulator.md), as the pack reports them.
const (
	devActivate   = "§8 activate: succeeds on Subscribed, checks no quantity, \"Bad Argument\" code, 404 without a JSON body"
	devApiversion = "its api-version errors are {\"Error\": {\"Code\", \"Message\"}}, not the envelope; no metering"
	devAuth       = "§8 auth: no token checked by default (any JWT, none at all, a forged one pass; a non-JWT is a 500)"
	devIsolation  = "a publisher is only a partition of its data: another publisher gets 404 or the data, never 403"
	devCsp        = "allowedCustomerOperations is not enforced (CSP subscriptions can be changed and deleted)"
	devOperations = "§8 list operations answers a bare array"
	devDelete     = "§8 DELETE allowed in any state, never 409; PATCH while pending not 409"
	devFields     = "subscriptions have no created; errors have no details"
	devPaging     = "§8 no pagination: a continuationToken is ignored"
	devPlans      = "§8 listAvailablePlans of an unknown id is 200 []"
	devOpack      = "PATCH operation: 409 without the envelope, InvalidValue / NotFound codes"
	devPatch      = "PATCH: errors as {message} without a code; no plan limits or flat-plan check; unsubscribing removes quantity"
	devWebhook    = "§8 webhooks: unsigned, operationRequestedSource misspelt, no quantity but on ChangeQuantity"
)

// emulatorDeviations is, by scenario, the deviation that fails it on the
// emulator. Every other Microsoft scenario passes there or is skipped for
// a capability the emulator lacks (clock, faults, tokens).
var emulatorDeviations = map[string]string{
	// §8 activate: succeeds on Subscribed, checks no quantity, "Bad Argument" code, 404 without a JSON body
	"ms-activate-already-subscribed":        devActivate,
	"ms-activate-mismatch/missing-plan":     devActivate,
	"ms-activate-mismatch/missing-quantity": devActivate,
	"ms-activate-mismatch/other-plan":       devActivate,
	"ms-activate-mismatch/other-quantity":   devActivate,
	"ms-activate-unknown":                   devActivate,
	// its api-version errors are {"Error": {"Code", "Message"}}, not the envelope; no metering
	"ms-api-version-routes/get":         devApiversion,
	"ms-api-version-routes/plans":       devApiversion,
	"ms-api-version-routes/resolve":     devApiversion,
	"ms-api-version-routes/usage-event": devApiversion,
	"ms-api-version/missing":            devApiversion,
	"ms-api-version/other":              devApiversion,
	// §8 auth: no token checked by default (any JWT, none at all, a forged one pass; a non-JWT is a 500)
	"ms-auth-forbidden/app-secret-by-basic": devAuth,
	"ms-auth-forbidden/forged-signature":    devAuth,
	"ms-auth-forbidden/not-a-jwt":           devAuth,
	"ms-auth-forbidden/unsigned":            devAuth,
	"ms-auth-no-token/delete-unknown":       devAuth,
	"ms-auth-no-token/get-unknown":          devAuth,
	"ms-auth-no-token/list":                 devAuth,
	"ms-auth-no-token/operations-unknown":   devAuth,
	"ms-auth-no-token/plans-unknown":        devAuth,
	"ms-auth-no-token/resolve-no-header":    devAuth,
	"ms-request-ids-forbidden/echoed":       devAuth,
	"ms-request-ids-forbidden/generated":    devAuth,
	// a publisher is only a partition of its data: another publisher gets 404 or the data, never 403
	"ms-isolation-other-publisher-token/resolve":   devIsolation,
	"ms-isolation-other-publisher/activate":        devIsolation,
	"ms-isolation-other-publisher/delete":          devIsolation,
	"ms-isolation-other-publisher/get":             devIsolation,
	"ms-isolation-other-publisher/list-operations": devIsolation,
	"ms-isolation-other-publisher/list-plans":      devIsolation,
	"ms-isolation-other-publisher/patch":           devIsolation,
	// allowedCustomerOperations is not enforced (CSP subscriptions can be changed and deleted)
	"ms-csp-read-only/delete":         devCsp,
	"ms-csp-read-only/patch-quantity": devCsp,
	// §8 list operations answers a bare array
	"ms-delete-accepted/subscribed":        devOperations,
	"ms-delete-accepted/suspended":         devOperations,
	"ms-operation-ack-publisher-initiated": devOperations,
	"ms-operations-pending":                devOperations,
	"ms-patch-accepted/plan":               devOperations,
	"ms-patch-accepted/quantity":           devOperations,
	// §8 DELETE allowed in any state, never 409; PATCH while pending not 409
	"ms-delete-unsubscribed-refused":                     devDelete,
	"ms-locked-by-pending-operation/delete-after-delete": devDelete,
	"ms-locked-by-pending-operation/delete-after-patch":  devDelete,
	"ms-locked-by-pending-operation/patch-after-delete":  devDelete,
	"ms-locked-by-pending-operation/patch-after-patch":   devDelete,
	// subscriptions have no created; errors have no details
	"ms-get-fields":                 devFields,
	"ms-not-found/get":              devFields,
	"ms-resolve-bad-header/garbage": devFields,
	"ms-resolve-bad-header/missing": devFields,
	// §8 no pagination: a continuationToken is ignored
	"ms-list-bad-continuation-token": devPaging,
	// §8 listAvailablePlans of an unknown id is 200 []
	"ms-not-found/plans": devPlans,
	// PATCH operation: 409 without the envelope, InvalidValue / NotFound codes
	"ms-operation-ack-bad-status":              devOpack,
	"ms-operation-ack/plan-failure":            devOpack,
	"ms-operation-ack/plan-success":            devOpack,
	"ms-operation-ack/quantity-failure":        devOpack,
	"ms-operation-ack/quantity-success":        devOpack,
	"ms-operation-unknown-id/patch":            devOpack,
	"ms-operations-unknown-subscription/patch": devOpack,
	// PATCH: errors as {message} without a code; no plan limits or flat-plan check; unsubscribing removes quantity
	"ms-patch-not-subscribed/unsubscribed":    devPatch,
	"ms-patch-rejected/both-fields":           devPatch,
	"ms-patch-rejected/plan-not-in-catalog":   devOperations,
	"ms-patch-rejected/quantity-above-max":    devPatch,
	"ms-patch-rejected/quantity-on-flat-plan": devPatch,
	"ms-patch-rejected/quantity-zero":         devOperations,
	"ms-patch-rejected/same-plan":             devPatch,
	// §8 webhooks: unsigned, operationRequestedSource misspelt, no quantity but on ChangeQuantity
	"ms-webhook-change-quantity-ack":      devWebhook,
	"ms-webhook-change-plan-ack":          devWebhook,
	"ms-webhook-notify-event/suspend":     devWebhook,
	"ms-webhook-notify-event/unsubscribe": devWebhook,
	"ms-webhook-notify-event/renew":       devWebhook,
	"ms-webhook-reinstate":                devWebhook,
}

// TestPackReportsTheEmulatorsDeviations runs the Microsoft pack against
// an imitation of Microsoft's emulator built from its documented
// behaviour (conformance/emulatorfake), through the emulator control
// adapter: exactly the scenarios its known deviations break fail, each on
// its requirement; the others pass or are skipped for a missing
// capability; none errs (an error would be the harness's own mistake).
func TestPackReportsTheEmulatorsDeviations(t *testing.T) {
	checkEmulatorRun(t, runOnEmulator(t))
}

// TestPackWaitsForTheEmulatorsTimers: the emulator applies a marketplace
// event, a publisher's answer and a subscription's change on timers after
// it has answered (its defaults are 0 ms, a millisecond or two on the real
// one, which the run against it showed). With those timers slowed down,
// the pack still fails exactly on the known deviations: the adapter's
// event waits until the event is applied, and scenarios wait for what is
// settled after the answer.
func TestPackWaitsForTheEmulatorsTimers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pack against a slowed-down emulator")
	}
	results := runOnEmulator(t, emulatorfake.WithSubscriptionUpdateDelay(150*time.Millisecond),
		emulatorfake.WithOperationTimeout(150*time.Millisecond))
	checkEmulatorRun(t, results)
	// What the race used to fail these scenarios on, before their deviation.
	raced := map[string]string{
		"ms-delete-unsubscribed-refused":       `saasSubscriptionStatus: want "Unsubscribed"`,
		"ms-patch-not-subscribed/unsubscribed": `saasSubscriptionStatus: want "Unsubscribed"`,
		"ms-operation-ack/plan-success":        `status: want "Succeeded", got "InProgress"`,
		"ms-operation-ack/quantity-success":    `status: want "Succeeded", got "InProgress"`,
		"ms-operation-ack/plan-failure":        `status: want "Failed", got "InProgress"`,
		"ms-operation-ack/quantity-failure":    `status: want "Failed", got "InProgress"`,
	}
	for id, text := range raced {
		if msg := results[id].Message(); strings.Contains(msg, text) {
			t.Errorf("%s fails on a timer of the emulator, not its deviation:\n%s", id, msg)
		}
	}
}

// checkEmulatorRun: exactly the scenarios the emulator's known deviations
// break fail, each on its requirement; the others pass or are skipped for
// a missing capability; none errs (an error would be the harness's own
// mistake).
func checkEmulatorRun(t *testing.T, results map[string]engine.Result) {
	t.Helper()
	passed := 0
	for id, res := range results {
		dev, deviates := emulatorDeviations[id]
		switch {
		case res.Outcome == engine.Error:
			t.Errorf("%s: error on the emulator (the harness's own mistake): %s", id, res.Reason)
		case deviates && res.Outcome != engine.Fail:
			t.Errorf("%s: %s, want it to fail on the emulator's deviation %q", id, res.Outcome, dev)
		case deviates && !strings.Contains(res.Message(), res.Requirement):
			t.Errorf("%s: the failure does not name the requirement:\n%s", id, res.Message())
		case !deviates && res.Outcome == engine.Fail:
			t.Errorf("%s fails on the emulator, which no known deviation explains:\n%s", id, res.Message())
		case res.Outcome == engine.Skip && !strings.Contains(res.Reason, "target lacks capability"):
			t.Errorf("%s: skipped for %q", id, res.Reason)
		case res.Outcome == engine.Pass:
			passed++
		}
	}
	for id := range emulatorDeviations {
		if _, ok := results[id]; !ok {
			t.Errorf("%s: no such scenario in the pack", id)
		}
	}
	if passed < 10 {
		t.Errorf("only %d scenarios pass on the emulator: the adapter is not driving it", passed)
	}
}
