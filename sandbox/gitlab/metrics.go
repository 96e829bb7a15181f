package gitlab

// Records counts what the portal holds, by kind, for the sandbox's
// metrics (sandbox_records_held): orders (every subscription created,
// final or not) and access tokens (expired and revoked ones included,
// until they are dropped).
func (p *Portal) Records() map[string]int {
	return map[string]int{"orders": p.subscriptions.Len(), "tokens": p.tokens.Len()}
}

// Deliveries names what the portal's back office sends over HTTP (the
// fake Zuora's callouts) and counts them by outcome (an
// outbound.Outcomes), for the sandbox's metrics.
func (p *Portal) Deliveries() (kind string, count func(outcome string) uint64) {
	return "callout", p.callouts.Count
}
