package microsoft

// Records counts what the marketplace holds, by kind, for the sandbox's
// metrics (sandbox_records_held): subscriptions and the operations they
// keep, the usage events accepted (what GET /api/usageEvents lists and
// duplicates are judged by) and received (the control API's log, refused
// ones included). Purchase tokens are sealed, not stored: none is held.
func (m *Marketplace) Records() map[string]int {
	subs, ops := m.subs.Counts()
	accepted, received := m.meters.len()
	return map[string]int{"subscriptions": subs, "operations": ops, "usage_events": accepted,
		"usage_events_received": received}
}

// Deliveries names what the marketplace sends over HTTP (the webhooks to
// publishers) and counts them by outcome (an outbound.Outcomes), for the
// sandbox's metrics.
func (m *Marketplace) Deliveries() (kind string, count func(outcome string) uint64) {
	if s, ok := m.sender.(*outboundSender); ok {
		return "webhook", s.dispatcher.Count
	}
	return "webhook", func(string) uint64 { return 0 } // a test's sender
}
