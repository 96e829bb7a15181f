package sandbox

// checkSuite refuses a suite the sandbox does not know, or one for
// another marketplace.
func (s *Sandbox) checkSuite(req *sessionRequest) error {
	if req.Suite == "" {
		return nil
	}
	return badRequest("suite %s is not a certification suite of this sandbox.", quoteShort(req.Suite))
}

// challenges are the suite's challenges planned for seed.
func (s *Sandbox) challenges(suite string, seed int64) ([]challengeSpec, error) {
	return nil, nil
}
