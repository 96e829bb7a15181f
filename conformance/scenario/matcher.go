package scenario

import (
	"encoding/json"
	"fmt"
)

// Matcher is a set of conditions on one value (a JSON field, a header, the
// raw body); all must hold. Operands may be ${...} references, substituted
// when the step runs.
type Matcher struct {
	// Equals compares JSON-equal (numbers by value). HasEquals tells
	// `equals: null` apart from no equals at all.
	Equals    any
	HasEquals bool
	OneOf     []any
	Matches   string
	// Contains is a substring for strings and an element for arrays.
	Contains    any
	HasContains bool
	// ContainsAll lists elements (or substrings) that must all be there.
	ContainsAll []any
	// Excludes is the negation of contains: a substring, element or key
	// that must not be there (e.g. a secret in a journal entry).
	Excludes    any
	HasExcludes bool
	Present     bool
	Absent      bool
	Type        string
	GT, GE      any
	LT, LE      any
	// Length applies to strings (characters), arrays and objects.
	Length *Matcher
}

// UnmarshalJSON reads the matcher object of the scenario format.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	fields := map[string]any{
		"equals": &m.Equals, "oneOf": &m.OneOf, "matches": &m.Matches, "contains": &m.Contains, "containsAll": &m.ContainsAll, "excludes": &m.Excludes,
		"present": &m.Present, "absent": &m.Absent, "type": &m.Type,
		"gt": &m.GT, "ge": &m.GE, "lt": &m.LT, "le": &m.LE,
	}
	for key, value := range raw {
		if key == "length" {
			if err := m.unmarshalLength(value); err != nil {
				return err
			}
			continue
		}
		dst, ok := fields[key]
		if !ok {
			return fmt.Errorf("matcher: unknown condition %q", key)
		}
		if err := json.Unmarshal(value, dst); err != nil {
			return fmt.Errorf("matcher %s: %w", key, err)
		}
	}
	_, m.HasEquals = raw["equals"]
	_, m.HasContains = raw["contains"]
	_, m.HasExcludes = raw["excludes"]
	return nil
}

func (m *Matcher) unmarshalLength(b json.RawMessage) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		m.Length = &Matcher{Equals: n, HasEquals: true}
		return nil
	}
	m.Length = &Matcher{}
	return json.Unmarshal(b, m.Length)
}
