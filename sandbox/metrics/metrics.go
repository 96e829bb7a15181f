package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Metrics is one sandbox's series: the default workspace's and those of
// the certification sessions it opens, which report into it. It is safe
// for concurrent use. Counting (Request, FaultFired, Evicted) takes no
// lock a Source's store could be waiting on, so a store may count an
// eviction while it holds its own lock.
type Metrics struct {
	set *vm.Set

	// reqMu guards requests and durations; the read lock finds a
	// series that exists, as nearly every request's does.
	reqMu     sync.RWMutex
	requests  map[requestKey]*vm.Counter
	durations map[string]*vm.PrometheusHistogram

	// faultMu guards faults.
	faultMu sync.RWMutex
	faults  map[faultKey]*vm.Counter

	// evictMu guards evicted.
	evictMu sync.RWMutex
	evicted map[evictKey]*vm.Counter

	// mu guards sources and retired; it is held through a whole scrape,
	// so that a source retiring meanwhile is counted once.
	mu      sync.Mutex
	sources map[any]Source
	retired map[seriesKey]float64
	// process adds the Go runtime's and the process's own series.
	process bool
}

type requestKey struct {
	marketplace, route, method string
	status                     int
}

type faultKey struct{ marketplace, rule, effect string }

type evictKey struct{ marketplace, kind string }

// maxFaultSeries bounds the fault series: rule ids are the user's, and a
// long-lived sandbox sees rules come and go. Past it, new rules are
// counted under rule="other".
const maxFaultSeries = 1000

// durationBuckets are the upper bounds of the latency histogram: a
// sandbox answers in a fraction of a millisecond, a fault's latency or
// hang in up to a minute.
var durationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Option configures a Metrics.
type Option func(*Metrics)

// WithProcess adds the Go runtime's and the process's series (go_*,
// process_*: heap, goroutines, resident memory, CPU), untyped as the
// library writes them. They are the process's, not one sandbox's: the
// serving binary asks for them, tests do not.
func WithProcess() Option { return func(m *Metrics) { m.process = true } }

// Build is what sandbox_build_info says.
type Build struct {
	Version, Revision, GoVersion string
}

// New returns a Metrics with no source, exposing build.
func New(build Build, opts ...Option) *Metrics {
	m := &Metrics{
		set: vm.NewSet(), requests: map[requestKey]*vm.Counter{}, durations: map[string]*vm.PrometheusHistogram{},
		faults: map[faultKey]*vm.Counter{}, evicted: map[evictKey]*vm.Counter{},
		sources: map[any]Source{}, retired: map[seriesKey]float64{},
	}
	for _, opt := range opts {
		opt(m)
	}
	m.set.NewGauge(BuildInfo+labels("version", build.Version, "revision", build.Revision, "go_version", build.GoVersion),
		func() float64 { return 1 })
	return m
}

// Request counts one answered request and its duration. route is the
// route's template ("" for a path no route serves); status 0 means no
// HTTP answer was written (a fault broke or took the connection).
func (m *Metrics) Request(marketplace, route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{marketplace: marketplace, route: route, method: knownMethod(method), status: status}
	m.reqMu.RLock()
	c, h := m.requests[k], m.durations[marketplace]
	m.reqMu.RUnlock()
	if c == nil || h == nil {
		c, h = m.requestSeries(k)
	}
	c.Inc()
	h.Update(took.Seconds())
}

// requestSeries makes the series of a request key seen for the first time.
func (m *Metrics) requestSeries(k requestKey) (*vm.Counter, *vm.PrometheusHistogram) {
	m.reqMu.Lock()
	defer m.reqMu.Unlock()
	c := m.requests[k]
	if c == nil {
		c = m.set.NewCounter(Requests + labels("marketplace", k.marketplace, "route", k.route, "method", k.method, "status", strconv.Itoa(k.status)))
		m.requests[k] = c
	}
	h := m.durations[k.marketplace]
	if h == nil {
		h = m.set.NewPrometheusHistogramExt(RequestDuration+labels("marketplace", k.marketplace), durationBuckets)
		m.durations[k.marketplace] = h
	}
	return c, h
}

// knownMethod keeps the methods HTTP defines and folds the rest, which a
// client may invent without end, into one label value.
func knownMethod(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return method
	}
	return "other"
}

// FaultFired counts a fault rule's firing. effect is the effect's kind
// (see fault.Kind): "status 503", "latency", "latency + reset".
func (m *Metrics) FaultFired(marketplace, rule, effect string) {
	k := faultKey{marketplace, rule, effect}
	m.faultMu.RLock()
	c := m.faults[k]
	m.faultMu.RUnlock()
	if c == nil {
		m.faultMu.Lock()
		if c = m.faults[k]; c == nil {
			if len(m.faults) >= maxFaultSeries {
				k.rule = "other"
			}
			if c = m.faults[k]; c == nil {
				c = m.set.NewCounter(FaultsFired + labels("marketplace", k.marketplace, "rule", k.rule, "effect", k.effect))
				m.faults[k] = c
			}
		}
		m.faultMu.Unlock()
	}
	c.Inc()
}

// Evicted counts n records of kind that retention evicted from a
// marketplace's store ("gitlab", "orders"). It is the hook store
// eviction calls, at any time and under any lock of the store's: it
// takes none of the locks a scrape holds while it reads the stores.
func (m *Metrics) Evicted(marketplace, kind string, n int) {
	if n <= 0 {
		return
	}
	m.evictedCounter(marketplace, kind).Add(n)
}

// Expect makes the series of records evicted of these kinds exist at 0
// before the first eviction, so that a dashboard's rate() has a start.
func (m *Metrics) Expect(marketplace string, kinds ...string) {
	for _, kind := range kinds {
		m.evictedCounter(marketplace, kind)
	}
}

func (m *Metrics) evictedCounter(marketplace, kind string) *vm.Counter {
	k := evictKey{marketplace, kind}
	m.evictMu.RLock()
	c := m.evicted[k]
	m.evictMu.RUnlock()
	if c != nil {
		return c
	}
	m.evictMu.Lock()
	defer m.evictMu.Unlock()
	if c = m.evicted[k]; c == nil {
		c = m.set.NewCounter(RecordsEvicted + labels("marketplace", marketplace, "kind", kind))
		m.evicted[k] = c
	}
	return c
}

// labels formats name/value pairs as a series' label set, escaping the
// values as the text format requires.
func labels(pairs ...string) string {
	if len(pairs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(pairs[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
