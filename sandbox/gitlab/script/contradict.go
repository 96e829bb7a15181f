package script

import (
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

// effect is one field of a script that is set, with the back-office step
// it acts on.
type effect struct {
	field string
	set   bool
}

// contradictions lists every pair of effects in one script that cannot
// both apply: an effect that ends the order (Zuora or Salesforce refusing,
// Zuora never answering, a dropped callout, a declined payment, a failed
// license build) makes every effect on a later step unreachable, and some
// effects on the same step exclude each other. Accepting such a script
// would let a test believe it exercised something that can never happen.
func contradictions(s Script) []openapi.FieldError {
	c := s.Callout
	zuoraStep := []effect{{"zuora.latency", s.Zuora.Latency != ""}, {"zuora.error", s.Zuora.Error != ""}}
	salesforce := []effect{{"salesforce.error", s.Salesforce.Error != ""}, {"salesforce.latency", s.Salesforce.Latency != ""}}
	sending := []effect{{"callout.delay", c.Delay != ""}, {"callout.duplicate", c.Duplicate != 0}, {"callout.reorder", c.Reorder},
		{"callout.failTimes", c.FailTimes != 0}, {"callout.auth", c.Auth != ""}, {"callout.manual", c.Manual}}
	callout := append([]effect{{"zuora.decline", s.Zuora.Decline != ""}}, sending...)
	provisioning := []effect{{"provisioning.error", s.Provisioning.Error != ""}}
	license := []effect{{"license.bounce", s.License.Bounce != ""}}

	rules := []struct {
		cause  effect
		why    string
		denies []effect
	}{
		{effect{"zuora.timeout", s.Zuora.Timeout}, "Zuora never answers, so the order fails before this step",
			concat(zuoraStep, salesforce, callout, provisioning, license)},
		{effect{"zuora.error", s.Zuora.Error != ""}, "Zuora refuses the subscription, so the order fails before this step",
			concat(salesforce, callout, provisioning, license)},
		{effect{"salesforce.error", s.Salesforce.Error != ""}, "Salesforce fails, so the order fails before this step",
			concat(callout, provisioning, license)},
		{effect{"callout.drop", c.Drop}, "the callout is never sent, so this never happens", concat(sending, provisioning, license)},
		{effect{"zuora.decline", s.Zuora.Decline != ""}, "the declined payment fails the order, so it is never provisioned",
			concat(provisioning, license)},
		{effect{"provisioning.error", s.Provisioning.Error != ""}, "the license build fails, so no email is sent", license},
		{effect{"callout.manual", c.Manual}, "a held callout goes out when fired, never after a delay or a reorder",
			[]effect{{"callout.delay", c.Delay != ""}, {"callout.reorder", c.Reorder}}},
	}
	var errs []openapi.FieldError
	seen := map[string]bool{}
	for _, r := range rules {
		if !r.cause.set {
			continue
		}
		for _, d := range r.denies {
			key := r.cause.field + "|" + d.field
			if !d.set || d.field == r.cause.field || seen[key] {
				continue
			}
			seen[key] = true
			errs = append(errs, openapi.FieldError{Field: d.field,
				Message: "contradicts " + r.cause.field + ": " + r.why + "; remove one of them"})
		}
	}
	return errs
}

func concat(lists ...[]effect) []effect {
	var out []effect
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
