package metrics

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	vm "github.com/VictoriaMetrics/metrics"
)

// Source reports series read when the metrics are scraped: each call of
// emit gives one series of a family of families (a gauge, or a counter
// the source keeps itself), with its labels as name/value pairs. The
// values of sources that emit the same series are summed.
type Source func(emit Emit)

// Emit reports one series' value.
type Emit func(family string, value float64, labelPairs ...string)

// seriesKey names one series: its family and formatted labels.
type seriesKey struct{ family, labels string }

// Attach adds a source under key (the sandbox it reads), replacing one
// attached under the same key.
func (m *Metrics) Attach(key any, src Source) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources[key] = src
}

// Detach removes the source attached under key, keeping the last values
// of its counters in the sums: a session that ends takes its gauges with
// it (it holds nothing any more) but not what it counted.
func (m *Metrics) Detach(key any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	src, ok := m.sources[key]
	if !ok {
		return
	}
	delete(m.sources, key)
	for k, v := range m.collect(map[any]Source{key: src}) {
		if f, _ := familyOf(k.family); f.Type == typeCounter {
			m.retired[k] += v
		}
	}
}

// collect sums what srcs report; mu is held.
func (m *Metrics) collect(srcs map[any]Source) map[seriesKey]float64 {
	out := map[seriesKey]float64{}
	emit := func(family string, value float64, labelPairs ...string) {
		if f, ok := familyOf(family); !ok || !f.Read {
			panic("metrics: a source reported " + family + ", which is not a family read when scraped")
		}
		out[seriesKey{family, labels(labelPairs...)}] += value
	}
	for _, src := range srcs {
		src(emit)
	}
	return out
}

// WritePrometheus writes every series in the Prometheus text format
// (version 0.0.4), each family once with its HELP and TYPE lines.
func (m *Metrics) WritePrometheus(w io.Writer) {
	var counted bytes.Buffer
	m.set.WritePrometheus(&counted)
	bw := bufio.NewWriter(w)
	annotate(bw, &counted)
	m.writeRead(bw)
	if m.process {
		vm.WriteProcessMetrics(bw)
	}
	_ = bw.Flush()
}

// writeRead writes the series the sources report, and the retired
// counters, sorted by family and labels.
func (m *Metrics) writeRead(w io.Writer) {
	m.mu.Lock()
	values := m.collect(m.sources)
	for k, v := range m.retired {
		values[k] += v
	}
	m.mu.Unlock()
	keys := make([]seriesKey, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(strings.Compare(a.family, b.family), strings.Compare(a.labels, b.labels))
	})
	prev := ""
	for _, k := range keys {
		if k.family != prev {
			f, _ := familyOf(k.family)
			writeHeader(w, f)
			prev = k.family
		}
		fmt.Fprintf(w, "%s%s %s\n", k.family, k.labels, formatValue(values[k]))
	}
}

// annotate copies the library's exposition, which has no HELP or TYPE
// lines unless a process-wide switch says so, putting the family's
// before its first series (the library writes a family's series
// together).
func annotate(w io.Writer, exposition *bytes.Buffer) {
	prev := ""
	for line := range strings.Lines(exposition.String()) {
		if strings.HasPrefix(line, "#") {
			continue // the library's own metadata, if some code turned it on
		}
		name := line[:strings.IndexAny(line, "{ ")]
		f, ok := familyOfSeries(name)
		if ok && f.Name != prev {
			writeHeader(w, f)
			prev = f.Name
		}
		io.WriteString(w, line)
	}
}

// familyOfSeries is the family of a series name: a histogram's series
// end in _bucket, _sum or _count.
func familyOfSeries(name string) (Family, bool) {
	if f, ok := familyOf(name); ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := familyOf(base); ok && f.Type == typeHistogram {
				return f, true
			}
		}
	}
	return Family{}, false
}

func writeHeader(w io.Writer, f Family) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.Name, helpEscaper.Replace(f.Help), f.Name, f.Type)
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// formatValue writes whole numbers without an exponent, as the library
// does.
func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
