package sandbox

import (
	"net/http"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// checkSuite refuses a suite the sandbox does not know, or one for
// another marketplace.
func (s *Sandbox) checkSuite(req *sessionRequest) error {
	if req.Suite == "" {
		return nil
	}
	if !slices.Contains(certify.Names(), req.Suite) {
		return badRequest("suite %s is not a certification suite of this sandbox (%s).", quoteShort(req.Suite), strings.Join(certify.Names(), ", "))
	}
	suite, err := certify.Load(req.Suite)
	if err != nil {
		return err // the embedded suites are tested: a bug, a 500
	}
	if suite.API != req.API {
		return badRequest("suite %s certifies a %s client, not a %s one.", req.Suite, suite.API, req.API)
	}
	return nil
}

// challenges are the suite's challenges planned for seed, as the session
// arms them.
func (s *Sandbox) challenges(name string, seed int64) ([]challengeSpec, error) {
	if name == "" {
		return nil, nil
	}
	suite, err := certify.Load(name)
	if err != nil {
		return nil, err
	}
	var specs []challengeSpec
	for _, c := range suite.Arm(seed) {
		spec := challengeSpec{ID: c.ID, Describe: c.Describe, Fault: c.Fault, Delay: c.Delay}
		if c.Control != nil {
			spec.Control = &controlCall{Method: c.Control.Method, Path: c.Control.Path, Body: c.Control.Body}
		}
		if t, control := c.Trigger, c.Control; t != nil && control != nil {
			spec.Trigger = func(e journal.Entry) (controlCall, bool) {
				key, ok := t.Match(e)
				if !ok {
					return controlCall{}, false
				}
				filled := control.Fill(key, e)
				return controlCall{Method: filled.Method, Path: filled.Path, Body: filled.Body}, true
			}
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// sessionReport is GET /_sandbox/sessions/{id}/report: the suite's
// verdicts on the session's journal as it stands.
func (s *Sandbox) sessionReport(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	if sess.suite == "" {
		return nil, &controlError{status: http.StatusConflict, code: "no_suite",
			description: "Session " + sess.id + " was opened without a suite: there is nothing to judge (open one with \"suite\": " + strings.Join(certify.Names(), ", ") + ")."}
	}
	suite, err := certify.Load(sess.suite)
	if err != nil {
		return nil, err
	}
	entries, lost := sess.entries()
	return certify.Judge(suite, entries, lost), nil
}
