package sandbox

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/metrics"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// The sandbox's metrics (package metrics) are its own: every sandbox
// built by New has a Set of its own, so tests and many sandboxes in one
// process never share series. A certification session's sandbox reports
// into the sandbox that opened it: its requests, faults and evictions are
// counted in the same series (labelled alike, so a dashboard sees the
// whole traffic the process serves), what it holds is summed while it is
// open, and what it counted stays in the sums when it ends. Only the
// sandbox that owns the metrics serves GET /_sandbox/metrics; a session's
// control API has no metrics route of its own.

// withMetrics makes a session's sandbox report into its opener's metrics.
func withMetrics(m *metrics.Metrics) Option { return func(o *options) { o.metrics = m } }

// recordHolder is implemented by a marketplace that can count the
// records it holds, by kind (sandbox_records_held).
type recordHolder interface {
	Records() map[string]int
}

// deliverer is implemented by a marketplace that delivers messages over
// HTTP (outbound): what it calls them, and its counts by outcome.
type deliverer interface {
	Deliveries() (kind string, count func(outcome string) uint64)
}

var (
	_ recordHolder = (*gitlab.Portal)(nil)
	_ recordHolder = (*microsoft.Marketplace)(nil)
	_ deliverer    = (*gitlab.Portal)(nil)
	_ deliverer    = (*microsoft.Marketplace)(nil)
)

// newMetrics makes the metrics of a sandbox that owns them, naming the
// build.
func newMetrics() *metrics.Metrics {
	b := buildinfo.Read()
	return metrics.New(metrics.Build{Version: b.Version, Revision: b.Revision, GoVersion: b.GoVersion}, metrics.WithProcess())
}

// setUpMetrics makes the records-evicted series of every kind the
// marketplaces hold exist at 0, and attaches the sandbox that owns the
// metrics as their source (a session's joins when it opens). It runs
// once the marketplaces are built and before the faults, which count
// into the metrics.
func (s *Sandbox) setUpMetrics() {
	for _, m := range s.markets {
		if h, ok := m.(recordHolder); ok {
			for kind := range h.Records() {
				s.metrics.Expect(m.Name(), kind)
			}
		}
	}
	if s.ownsMetrics {
		s.metrics.Attach(s, s.reportMetrics)
	}
}

// evictions is the hook a marketplace's stores call when retention
// evicts records: evictions("gitlab")("orders", 3) counts three in
// sandbox_records_evicted_total{marketplace="gitlab",kind="orders"}. The
// catalogue passes it to a marketplace's constructor; it takes no lock
// a scrape holds, so a store may call it under its own lock.
func (o options) evictions(marketplace string) func(kind string, n int) {
	m := o.metrics
	return func(kind string, n int) { m.Evicted(marketplace, kind, n) }
}

// joinMetrics and leaveMetrics attach a session's sandbox to its
// opener's metrics while the session is open.
func (s *Sandbox) joinMetrics()  { s.metrics.Attach(s, s.reportMetrics) }
func (s *Sandbox) leaveMetrics() { s.metrics.Detach(s) }

// reportMetrics reports what the sandbox holds and what its components
// count themselves, when the metrics are scraped.
func (s *Sandbox) reportMetrics(emit metrics.Emit) {
	pending, fired := s.clock.Jobs()
	emit(metrics.ClockJobsPending, float64(pending))
	emit(metrics.ClockJobsFired, float64(fired))
	kept, lost := s.journal.Usage()
	emit(metrics.JournalEntries, float64(kept))
	emit(metrics.JournalDropped, float64(lost))
	for _, m := range s.markets {
		if h, ok := m.(recordHolder); ok {
			for kind, n := range h.Records() {
				emit(metrics.RecordsHeld, float64(n), "marketplace", m.Name(), "kind", kind)
			}
		}
		if d, ok := m.(deliverer); ok {
			kind, count := d.Deliveries()
			for _, outcome := range outbound.Outcomes {
				emit(metrics.OutboundDeliveries, float64(count(outcome)), "marketplace", m.Name(), "kind", kind, "outcome", outcome)
			}
		}
	}
	if s.ownsMetrics {
		emit(metrics.SessionsOpen, float64(s.sessions.count.Load()))
	}
}

// serveMetrics is GET /_sandbox/metrics, in the Prometheus text format.
func (s *Sandbox) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if err := noInput(r); err != nil {
		writeControlError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.WritePrometheus(w)
}

// measure counts every request the sandbox answers (sandbox_requests_total
// and its duration), outside the journal and the faults, so that it
// counts what the client really got. The route template comes from
// dispatch (noteRoute); a request answered before it got there (a fault
// fired, a query refused) is routed again here, which only such rare
// requests pay for.
//
// It wraps the sessions' routing too, so that a request for a session
// that is not open is counted; one forwarded to a session's sandbox is
// counted there (noteForwarded), once.
func (s *Sandbox) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mw := &measuredWriter{ResponseWriter: w}
		next.ServeHTTP(mw, r)
		if mw.forwarded {
			return
		}
		clean := routedRequest(r)
		if !mw.routed {
			mw.route = s.routeOf(clean)
		}
		s.metrics.Request(s.metricsMarketplace(clean), mw.route, r.Method, mw.status, time.Since(start))
	})
}

// routedRequest is r with its path as the router sees it (normalizePath
// runs inside measure): r itself when the path is clean, as nearly
// every one is.
func routedRequest(r *http.Request) *http.Request {
	clean, changed := cleanPath(r.URL.EscapedPath())
	if !changed {
		return r
	}
	u := *r.URL
	u.Path, _ = url.PathUnescape(clean)
	u.RawPath = clean
	return &http.Request{URL: &u, Header: r.Header, Host: r.Host, Method: r.Method}
}

// routeOf is the template of the route that serves r, "" when none does
// (HEAD is routed as GET, as dispatch does).
func (s *Sandbox) routeOf(r *http.Request) string {
	probe := &http.Request{URL: r.URL, Header: r.Header, Host: r.Host, Method: r.Method}
	if probe.Method == http.MethodHead {
		probe.Method = http.MethodGet
	}
	var match mux.RouteMatch
	if !s.router.Match(probe, &match) || match.Route == nil || match.MatchErr != nil {
		return ""
	}
	tpl, _ := match.Route.GetPathTemplate()
	return tpl
}

// metricsMarketplace labels r: the marketplace it is for, control for the
// control API, none for a path no marketplace owns.
func (s *Sandbox) metricsMarketplace(r *http.Request) string {
	if isControl(r) {
		return "control"
	}
	if m := s.marketplaceFor(r); m != nil {
		return m.Name()
	}
	return apiUnowned
}

// noteForwarded tells the measure middleware behind w that a session's
// sandbox serves the request, and counts it.
func noteForwarded(w http.ResponseWriter) {
	if mw := measuring(w); mw != nil {
		mw.forwarded = true
	}
}

// noteRoute tells the measure middleware behind w which route serves the
// request: dispatch calls it once the router matched (route nil: none).
func noteRoute(w http.ResponseWriter, route *mux.Route) {
	if mw := measuring(w); mw != nil {
		mw.routed = true
		if route != nil {
			mw.route, _ = route.GetPathTemplate()
		}
	}
}

// measuring finds the measure middleware's writer behind w, through the
// writers that wrap it (they all Unwrap, for http.ResponseController).
func measuring(w http.ResponseWriter) *measuredWriter {
	for w != nil {
		if mw, ok := w.(*measuredWriter); ok {
			return mw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// measuredWriter keeps the status of the answer and the route dispatch
// noted (routed: dispatch ran, whether a route matched or not;
// forwarded: a session's sandbox counts the request).
type measuredWriter struct {
	http.ResponseWriter
	status    int
	route     string
	routed    bool
	forwarded bool
}

func (w *measuredWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *measuredWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection through it.
func (w *measuredWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
