package expect

import (
	"fmt"
	"strconv"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// compareAll applies the numeric bounds gt, ge, lt, le of m.
func compareAll(m scenario.Matcher, got any) []string {
	bounds := []struct {
		name  string
		bound any
		ok    func(g, b float64) bool
	}{
		{"greater than", m.GT, func(g, b float64) bool { return g > b }},
		{"at least", m.GE, func(g, b float64) bool { return g >= b }},
		{"less than", m.LT, func(g, b float64) bool { return g < b }},
		{"at most", m.LE, func(g, b float64) bool { return g <= b }},
	}
	var out []string
	for _, c := range bounds {
		if c.bound == nil {
			continue
		}
		b, ok := Number(c.bound)
		if !ok {
			out = append(out, fmt.Sprintf("bound %s is not a number", Show(c.bound)))
			continue
		}
		g, ok := Number(got)
		if !ok {
			out = append(out, fmt.Sprintf("want a number %s %v, got %s", c.name, b, Show(got)))
			continue
		}
		if !c.ok(g, b) {
			out = append(out, fmt.Sprintf("want %s %v, got %v", c.name, b, g))
		}
	}
	return out
}

// Number reads a JSON number, or a string holding one (headers, and
// substituted ${...} values, are text).
func Number(v any) (float64, bool) {
	switch x := normalize(v).(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
