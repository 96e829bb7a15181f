package metrics_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/metrics"
)

// scrape parses what m exposes with Prometheus' own text parser, which
// refuses a family written twice, a bad label or a series whose TYPE
// does not fit.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	m.WritePrometheus(&b)
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, b.String())
	}
	return fams
}

// value is the value of the series of family with exactly these labels;
// ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, family string, labelPairs ...string) (float64, bool) {
	f := fams[family]
	if f == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labelPairs); i += 2 {
		want[labelPairs[i]] = labelPairs[i+1]
	}
	for _, s := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return s.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return s.GetGauge().GetValue(), true
		case dto.MetricType_HISTOGRAM:
			return float64(s.GetHistogram().GetSampleCount()), true
		case dto.MetricType_UNTYPED:
			return s.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func TestCountedAsTheyHappen(t *testing.T) {
	m := metrics.New(metrics.Build{Version: "v1.2.3", Revision: "abc", GoVersion: "go1.26.8"})
	m.Request("gitlab", "/api/v1/marketplace/subscriptions", "POST", 201, 3*time.Millisecond)
	m.Request("gitlab", "/api/v1/marketplace/subscriptions", "POST", 201, time.Millisecond)
	m.Request("gitlab", "", "PROPFIND", 404, time.Millisecond)
	m.Request("control", `/_sandbox/faults/{id:[a-z\d]+}`, "GET", 200, time.Millisecond)
	m.FaultFired("gitlab", "r1", "status 503")
	m.Evicted("gitlab", "orders", 3)
	m.Evicted("gitlab", "orders", 0)
	m.Expect("microsoft", "subscriptions")
	fams := scrape(t, m)

	cases := []struct {
		name   string
		family string
		labels []string
		want   float64
	}{
		{"build", metrics.BuildInfo, []string{"version", "v1.2.3", "revision", "abc", "go_version", "go1.26.8"}, 1},
		{"a route's requests", metrics.Requests, []string{"marketplace", "gitlab", "route", "/api/v1/marketplace/subscriptions", "method", "POST", "status", "201"}, 2},
		{"an unmatched path, an invented method", metrics.Requests, []string{"marketplace", "gitlab", "route", "unmatched", "method", "other", "status", "404"}, 1},
		{"a template with a backslash", metrics.Requests, []string{"marketplace", "control", "route", `/_sandbox/faults/{id:[a-z\d]+}`, "method", "GET", "status", "200"}, 1},
		{"durations per marketplace", metrics.RequestDuration, []string{"marketplace", "gitlab"}, 3},
		{"a fault", metrics.FaultsFired, []string{"marketplace", "gitlab", "rule", "r1", "effect", "status 503"}, 1},
		{"evicted", metrics.RecordsEvicted, []string{"marketplace", "gitlab", "kind", "orders"}, 3},
		{"expected, none evicted yet", metrics.RecordsEvicted, []string{"marketplace", "microsoft", "kind", "subscriptions"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := value(fams, c.family, c.labels...)
			if !ok || got != c.want {
				t.Errorf("%s%v = %v (found: %v), want %v", c.family, c.labels, got, ok, c.want)
			}
		})
	}
	t.Run("every family has its type and help", func(t *testing.T) {
		for name, f := range fams {
			if f.GetHelp() == "" || f.GetType() == dto.MetricType_UNTYPED {
				t.Errorf("%s: help %q, type %v", name, f.GetHelp(), f.GetType())
			}
		}
	})
}

// A source's gauges go with it; its counters stay in the sums, so that
// a counter never goes down when a session ends.
func TestSourcesSumAndRetire(t *testing.T) {
	m := metrics.New(metrics.Build{})
	source := func(held, fired float64) metrics.Source {
		return func(emit metrics.Emit) {
			emit(metrics.RecordsHeld, held, "marketplace", "gitlab", "kind", "orders")
			emit(metrics.ClockJobsFired, fired)
		}
	}
	m.Attach("default", source(2, 10))
	m.Attach("session", source(5, 7))
	steps := []struct {
		name        string
		do          func()
		held, fired float64
	}{
		{"both attached", func() {}, 7, 17},
		{"the session ends", func() { m.Detach("session") }, 2, 17},
		{"detached twice", func() { m.Detach("session") }, 2, 17},
		{"another session", func() { m.Attach("other", source(1, 1)) }, 3, 18},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			fams := scrape(t, m)
			if got, _ := value(fams, metrics.RecordsHeld, "marketplace", "gitlab", "kind", "orders"); got != s.held {
				t.Errorf("held = %v, want %v", got, s.held)
			}
			if got, _ := value(fams, metrics.ClockJobsFired); got != s.fired {
				t.Errorf("fired = %v, want %v", got, s.fired)
			}
		})
	}
}

func TestFaultSeriesAreBounded(t *testing.T) {
	m := metrics.New(metrics.Build{})
	for i := range 1200 {
		m.FaultFired("gitlab", "rule-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), "latency")
	}
	fams := scrape(t, m)
	if n := len(fams[metrics.FaultsFired].GetMetric()); n > 1001 {
		t.Errorf("%d fault series, want at most 1001", n)
	}
	if got, _ := value(fams, metrics.FaultsFired, "marketplace", "gitlab", "rule", "other", "effect", "latency"); got != 200 {
		t.Errorf(`rule="other" = %v, want 200`, got)
	}
}

func TestConcurrentCountingAndScraping(t *testing.T) {
	m := metrics.New(metrics.Build{})
	m.Attach("default", func(emit metrics.Emit) { emit(metrics.ClockJobsPending, 1) })
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				m.Request("gitlab", "/r", "GET", 200+g, time.Microsecond)
				m.FaultFired("gitlab", "r", "reset")
				m.Evicted("gitlab", "tokens", 1)
				if i%50 == 0 {
					m.Attach(g, func(emit metrics.Emit) { emit(metrics.ClockJobsFired, 1) })
					m.Detach(g)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			var b bytes.Buffer
			m.WritePrometheus(&b)
		}
	})
	wg.Wait()
	fams := scrape(t, m)
	if got, _ := value(fams, metrics.RecordsEvicted, "marketplace", "gitlab", "kind", "tokens"); got != 800 {
		t.Errorf("evicted = %v, want 800", got)
	}
	if got, _ := value(fams, metrics.ClockJobsFired); got != 16 {
		t.Errorf("fired = %v, want 16 (4 sources retired 4 times each)", got)
	}
}

func TestProcessSeriesParse(t *testing.T) {
	fams := scrape(t, metrics.New(metrics.Build{}, metrics.WithProcess()))
	if _, ok := value(fams, "process_resident_memory_bytes"); !ok {
		t.Errorf("no process_resident_memory_bytes among %d families", len(fams))
	}
}
