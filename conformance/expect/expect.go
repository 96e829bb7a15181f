// Package expect decides whether one observed value (a JSON field, a
// header, a body) satisfies a scenario matcher, and says why not in words a
// release manager can act on. Every unmet condition is reported, not only
// the first, so one run shows the whole picture of a defect.
package expect

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// Value is what was observed: V is meaningful only when Present.
type Value struct {
	V       any
	Present bool
}

// Found is a present value.
func Found(v any) Value { return Value{V: v, Present: true} }

// Missing is an absent value.
func Missing() Value { return Value{} }

// Mode says how strictly scalars compare.
type Mode int

const (
	// JSON compares types strictly: "7200" is not 7200.
	JSON Mode = iota
	// Text compares string forms, for headers and raw bodies, where every
	// value is text.
	Text
)

// Match returns one message per unmet condition of m (none when v
// satisfies m). Operands must already be resolved (no ${...} left).
func Match(m scenario.Matcher, v Value, mode Mode) []string {
	if m.Absent {
		if v.Present {
			return []string{"want absent, got " + Show(v.V)}
		}
		return nil
	}
	if !v.Present {
		return []string{"want present" + describe(m) + ", got absent"}
	}
	var out []string
	add := func(ok bool, format string, args ...any) {
		if !ok {
			out = append(out, fmt.Sprintf(format, args...)+", got "+Show(v.V))
		}
	}
	if m.HasEquals {
		add(Equal(m.Equals, v.V, mode), "want %s", Show(m.Equals))
	}
	if len(m.OneOf) > 0 {
		add(oneOf(m.OneOf, v.V, mode), "want one of %s", Show(m.OneOf))
	}
	if m.Matches != "" {
		out = append(out, matchRegexp(m.Matches, v.V)...)
	}
	if m.HasContains {
		add(containsValue(v.V, m.Contains, mode), "want something containing %s", Show(m.Contains))
	}
	if m.HasExcludes {
		add(excludesValue(v.V, m.Excludes, mode), "want nothing containing %s", Show(m.Excludes))
	}
	for _, want := range m.ContainsAll {
		add(containsValue(v.V, want, mode), "want something containing %s", Show(want))
	}
	if m.Type != "" {
		add(hasType(v.V, m.Type), "want type %s", m.Type)
	}
	out = append(out, compareAll(m, v.V)...)
	if m.Length != nil {
		out = append(out, matchLength(*m.Length, v.V)...)
	}
	return out
}

// describe adds the main expectation to a "want present" message.
func describe(m scenario.Matcher) string {
	switch {
	case m.HasEquals:
		return " and " + Show(m.Equals)
	case len(m.OneOf) > 0:
		return " and one of " + Show(m.OneOf)
	case m.Matches != "":
		return " and matching " + strconv.Quote(m.Matches)
	}
	return ""
}

// Equal reports whether want and got are the same JSON value; in Text mode
// scalars compare by their string form.
func Equal(want, got any, mode Mode) bool {
	w, g := normalize(want), normalize(got)
	if mode == Text {
		if ws, ok := scalarString(w); ok {
			gs, ok := scalarString(g)
			return ok && ws == gs
		}
	}
	return reflect.DeepEqual(w, g)
}

func oneOf(options []any, got any, mode Mode) bool {
	for _, o := range options {
		if Equal(o, got, mode) {
			return true
		}
	}
	return false
}

func matchRegexp(pattern string, got any) []string {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return []string{"bad regular expression " + strconv.Quote(pattern) + ": " + err.Error()}
	}
	s, ok := got.(string)
	if !ok {
		return []string{fmt.Sprintf("want a string matching %q, got %s", pattern, Show(got))}
	}
	if !re.MatchString(s) {
		return []string{fmt.Sprintf("want matching %q, got %s", pattern, Show(got))}
	}
	return nil
}

func containsValue(got, want any, mode Mode) bool {
	switch g := got.(type) {
	case string:
		ws, ok := scalarString(normalize(want))
		return ok && strings.Contains(g, ws)
	case []any:
		return oneOf(g, want, mode)
	case map[string]any:
		key, ok := want.(string)
		_, has := g[key]
		return ok && has
	}
	return false
}

// excludesValue is the negation of containsValue for the values that can
// contain something; a number or a boolean excludes nothing, so a scenario
// that says otherwise gets a failure instead of a vacuous pass.
func excludesValue(got, unwanted any, mode Mode) bool {
	switch got.(type) {
	case string, []any, map[string]any:
		return !containsValue(got, unwanted, mode)
	}
	return false
}

func hasType(v any, typ string) bool {
	switch n := normalize(v).(type) {
	case string:
		return typ == "string"
	case float64:
		return typ == "number" || (typ == "integer" && n == math.Trunc(n))
	case bool:
		return typ == "boolean"
	case map[string]any:
		return typ == "object"
	case []any:
		return typ == "array"
	case nil:
		return typ == "null"
	}
	return false
}

func matchLength(m scenario.Matcher, v any) []string {
	var n int
	switch x := v.(type) {
	case string:
		n = utf8.RuneCountInString(x)
	case []any:
		n = len(x)
	case map[string]any:
		n = len(x)
	default:
		return []string{"want something with a length, got " + Show(v)}
	}
	var out []string
	for _, msg := range Match(m, Found(float64(n)), JSON) {
		out = append(out, "length: "+msg)
	}
	return out
}

// normalize turns Go values into the JSON data model (float64 numbers,
// []any, map[string]any), so values from YAML and from responses compare.
func normalize(v any) any {
	switch v.(type) {
	case nil, string, bool, float64, []any, map[string]any:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// Show renders a value for a message: JSON, cut at 200 bytes.
func Show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const limit = 200
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}
