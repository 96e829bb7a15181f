// Package metrics is the sandbox's Prometheus exposition, served at
// GET /_sandbox/metrics: what a team running one long-lived sandbox needs
// on a dashboard (traffic by marketplace, route and status; faults fired;
// callouts and webhooks delivered, retried and failed; clock jobs
// pending; records held and evicted) without the Prometheus client's
// 2.7 MB. It keeps its series in a github.com/VictoriaMetrics/metrics Set
// of its own, never the library's global one, because tests and
// certification sessions build many sandboxes in one process.
//
// Two kinds of series:
//
//   - counted as they happen (requests, faults fired, records evicted): a
//     counter of the library's, found by its labels without allocating;
//   - read when scraped (records held, clock jobs, the journal, outbound
//     deliveries): each Source attached reports them then, and series of
//     several sources with the same labels are summed. A source that
//     leaves (a session that ends) hands its counters' last values to the
//     sums, so a counter never goes down while the process lives.
//
// Every family is listed once, in families, with its type and help text;
// the README's metrics section documents the same list (a test checks).
package metrics

import "slices"

// Family types, as the text format names them.
const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"
)

// Family is one metric family: its name, type, labels and help.
type Family struct {
	Name   string
	Type   string
	Labels []string
	Help   string
	// Read says the family is reported by Sources when scraped; the
	// others are counted as things happen.
	Read bool
}

// The families' names, for Sources and the sandbox's hooks.
const (
	BuildInfo          = "sandbox_build_info"
	Requests           = "sandbox_requests_total"
	RequestDuration    = "sandbox_request_duration_seconds"
	FaultsFired        = "sandbox_faults_fired_total"
	OutboundDeliveries = "sandbox_outbound_deliveries_total"
	ClockJobsPending   = "sandbox_clock_jobs_pending"
	ClockJobsFired     = "sandbox_clock_jobs_fired_total"
	JournalEntries     = "sandbox_journal_entries"
	JournalDropped     = "sandbox_journal_entries_dropped_total"
	RecordsHeld        = "sandbox_records_held"
	RecordsEvicted     = "sandbox_records_evicted_total"
	SessionsOpen       = "sandbox_sessions_open"
)

// families lists every family the sandbox exposes, in the order the
// README documents them.
var families = []Family{
	{Name: BuildInfo, Type: typeGauge, Labels: []string{"version", "revision", "go_version"},
		Help: "Always 1; the labels say which build runs (as sandbox version does)."},
	{Name: Requests, Type: typeCounter, Labels: []string{"marketplace", "route", "method", "status"},
		Help: "Requests answered, by marketplace (gitlab, microsoft, control, none), route template (unmatched for a path no route serves), method and status (0: no HTTP answer, a fault broke the connection)."},
	{Name: RequestDuration, Type: typeHistogram, Labels: []string{"marketplace"},
		Help: "Wall time from a request's arrival to the end of its answer, fault latency included."},
	{Name: FaultsFired, Type: typeCounter, Labels: []string{"marketplace", "rule", "effect"},
		Help: "Fault rules that fired, by rule id and effect kind (status 503, latency, reset, latency + status 503 ...)."},
	{Name: OutboundDeliveries, Type: typeCounter, Labels: []string{"marketplace", "kind", "outcome"}, Read: true,
		Help: "Outbound HTTP deliveries (kind callout: Zuora's; webhook: Microsoft's) by outcome: delivered; retrying (failed, retried later); abandoned or rejected (failed for good); challenged, held, dropped."},
	{Name: ClockJobsPending, Type: typeGauge, Read: true,
		Help: "Jobs scheduled on the sandbox clocks and not yet fired (callout and webhook attempts, provisioning steps, renewals)."},
	{Name: ClockJobsFired, Type: typeCounter, Read: true,
		Help: "Jobs the sandbox clocks have fired."},
	{Name: JournalEntries, Type: typeGauge, Read: true,
		Help: "Entries the request journals keep."},
	{Name: JournalDropped, Type: typeCounter, Read: true,
		Help: "Journal entries no longer kept: evicted to stay within journal.max_entries and journal.max_bytes, or cleared (reset, DELETE /_sandbox/journal)."},
	{Name: RecordsHeld, Type: typeGauge, Labels: []string{"marketplace", "kind"}, Read: true,
		Help: "Records the marketplaces hold, by kind (gitlab: orders, tokens; microsoft: subscriptions, operations, usage_events, usage_events_received)."},
	{Name: RecordsEvicted, Type: typeCounter, Labels: []string{"marketplace", "kind"},
		Help: "Records evicted by retention, by kind (the kinds of sandbox_records_held)."},
	{Name: SessionsOpen, Type: typeGauge, Read: true,
		Help: "Certification sessions open; their series are summed into the sandbox's."},
}

// Families lists every family the sandbox exposes, for documentation.
func Families() []Family { return slices.Clone(families) }

// familyOf finds a family by name.
func familyOf(name string) (Family, bool) {
	i := slices.IndexFunc(families, func(f Family) bool { return f.Name == name })
	if i < 0 {
		return Family{}, false
	}
	return families[i], true
}
