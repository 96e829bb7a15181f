package scenario

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// eachCases returns the cases of a data-driven scenario (nil when the
// document has no `each`), after checking they are objects with the same
// keys and distinct names.
func eachCases(doc any, display string, lines lineIndex) ([]map[string]any, []Problem) {
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, nil // the schema reports it
	}
	raw, ok := top["each"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	bad := func(loc []string, msg string) []Problem {
		return []Problem{{File: display, Line: lines.lineOf(loc), Field: fieldString(loc), Message: msg}}
	}
	if !ok || len(list) == 0 {
		return nil, bad([]string{"each"}, "each is a non-empty list of cases")
	}
	var cases []map[string]any
	names := map[string]bool{}
	for i, item := range list {
		loc := []string{"each", fmt.Sprint(i)}
		c, ok := item.(map[string]any)
		if !ok || len(c) == 0 {
			return nil, bad(loc, "a case is an object of named values")
		}
		if i > 0 && !sameKeys(c, cases[0]) {
			return nil, bad(loc, "every case must have the same keys as the first")
		}
		if name := caseName(c); names[name] {
			return nil, bad(loc, fmt.Sprintf("case name %q used twice; add a distinct `case` value", name))
		} else {
			names[name] = true
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// substituteEach returns a copy of doc without its `each` key, with every
// ${each.<key>} replaced by the case's value. A string that is exactly one
// reference takes the value with its type (a number, an object); inside a
// longer string the value's text is used. Other references stay for the
// engine.
func substituteEach(doc any, c map[string]any) any {
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, child := range v {
			if k != "each" {
				key, _ := substituteEach(k, c).(string)
				if key == "" {
					key = k
				}
				out[key] = substituteEach(child, c)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, child := range v {
			out[i] = substituteEach(child, c)
		}
		return out
	case string:
		if ref, ok := SingleReference(v); ok && ref.Namespace == "each" && len(ref.Parts) == 1 {
			if val, ok := c[ref.Parts[0]]; ok {
				return val
			}
		}
		return expandReferences(v, func(ref Reference) string {
			if val, ok := c[strings.Join(ref.Parts, ".")]; ok && ref.Namespace == "each" {
				return caseText(val)
			}
			return "${" + strings.Join(append([]string{ref.Namespace}, ref.Parts...), ".") + "}"
		}, false)
	}
	return doc
}

// caseName names a case: its `case` value, or its values joined by "-".
func caseName(c map[string]any) string {
	if name, ok := c["case"].(string); ok {
		return name
	}
	parts := make([]string, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, caseText(c[k]))
	}
	return strings.Join(parts, "-")
}

// caseText is a case's value as text: a string as it is, a number as
// written (7000215, not fmt's 7.000215e+06), anything else as JSON.
func caseText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
