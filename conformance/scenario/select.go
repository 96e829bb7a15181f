package scenario

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Labels returns every label (with the cap:<name> labels of needs) some
// scenario of the library carries, sorted.
func (l *Library) Labels() []string {
	set := map[string]bool{}
	for _, sc := range l.Scenarios {
		for _, lb := range sc.AllLabels() {
			set[lb] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// IDs returns every scenario id and, for data-driven scenarios, the id of
// the family (`create-missing-field` for `create-missing-field/email`),
// sorted: the names Select accepts.
func (l *Library) IDs() []string {
	set := map[string]bool{}
	for _, sc := range l.Scenarios {
		set[sc.ID] = true
		if family, _, ok := strings.Cut(sc.ID, "/"); ok {
			set[family] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Select returns the scenarios matching a Ginkgo label filter (empty: all)
// and, when ids are given, one of them (a scenario's id, or a family's id
// for all its cases). Every label the filter names must be a label of the
// library and every id an id of it: a misspelt name is an error naming the
// known ones, never a filter that quietly selects less (or nothing).
func (l *Library) Select(labelFilter string, ids []string) ([]Scenario, error) {
	filter, err := types.ParseLabelFilter(labelFilter)
	if err != nil {
		return nil, fmt.Errorf("--label-filter: %w", err)
	}
	if err := CheckLabelFilter(labelFilter, l.Labels()); err != nil {
		return nil, err
	}
	known := l.IDs()
	var problems []error
	for i, id := range ids {
		switch {
		case strings.TrimSpace(id) == "":
			problems = append(problems, errors.New("--id: empty scenario id"))
		case !slices.Contains(known, id):
			problems = append(problems, &UnknownNameError{What: "scenario id", Where: "--id", Name: id, Known: known})
		case slices.Contains(ids[:i], id):
			problems = append(problems, fmt.Errorf("--id: %q given twice", id))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	var out []Scenario
	for _, sc := range l.Scenarios {
		family, _, _ := strings.Cut(sc.ID, "/")
		if filter(sc.AllLabels()) && (len(ids) == 0 || slices.Contains(ids, sc.ID) || slices.Contains(ids, family)) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// setOperation finds Ginkgo's label-set operations, `key: op {a, b}` or
// `key: op a`.
var setOperation = regexp.MustCompile(`(?i)([^&|!,()/\s:]+):\s+(containsany|containsall|consistsof|issubsetof|isempty)\s*(\{[^}]*\}|[^&|!,()/]*)`)

// CheckLabelFilter reports every name a Ginkgo label filter uses that no
// label of known carries: a plain label (compared without case, as Ginkgo
// does), a /regular expression/ that matches none, and a set operation's
// key or values. Ginkgo itself accepts them all and selects nothing.
func CheckLabelFilter(expr string, known []string) error {
	lower := make([]string, len(known))
	for i, k := range known {
		lower[i] = strings.ToLower(k)
	}
	var problems []error
	rest := setOperation.ReplaceAllStringFunc(expr, func(m string) string {
		parts := setOperation.FindStringSubmatch(m)
		problems = append(problems, checkLabelSet(parts[1], parts[3], known)...)
		return " "
	})
	var words strings.Builder
	for len(rest) > 0 {
		start := strings.IndexByte(rest, '/')
		if start < 0 {
			words.WriteString(rest)
			break
		}
		words.WriteString(rest[:start] + " ")
		end := strings.IndexByte(rest[start+1:], '/')
		if end < 0 {
			break // Ginkgo's parser has refused it already
		}
		problems = append(problems, checkLabelRegexp(rest[start+1:start+1+end], known)...)
		rest = rest[start+2+end:]
	}
	for _, w := range strings.FieldsFunc(words.String(), func(r rune) bool { return strings.ContainsRune("&|!,()", r) }) {
		w = strings.TrimSpace(w)
		if w != "" && !slices.Contains(lower, strings.ToLower(w)) {
			problems = append(problems, &UnknownNameError{What: "label", Where: "--label-filter", Name: w, Known: known})
		}
	}
	return errors.Join(problems...)
}

func checkLabelRegexp(expr string, known []string) []error {
	re, err := regexp.Compile(expr)
	if err != nil {
		return []error{fmt.Errorf("--label-filter: /%s/: %w", expr, err)}
	}
	if !slices.ContainsFunc(known, re.MatchString) {
		return []error{fmt.Errorf("--label-filter: /%s/ matches no label (known: %s)", expr, strings.Join(known, ", "))}
	}
	return nil
}

// checkLabelSet checks `key: op values` against the key:value labels.
func checkLabelSet(key, values string, known []string) []error {
	byKey := map[string][]string{}
	for _, k := range known {
		if kk, v, ok := strings.Cut(k, ":"); ok {
			byKey[strings.ToLower(kk)] = append(byKey[strings.ToLower(kk)], strings.ToLower(v))
		}
	}
	vals, ok := byKey[strings.ToLower(key)]
	if !ok {
		return []error{&UnknownNameError{What: "label set", Where: "--label-filter", Name: key, Known: slices.Sorted(maps.Keys(byKey))}}
	}
	var out []error
	for _, v := range strings.Split(strings.Trim(strings.TrimSpace(values), "{}"), ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(vals, strings.ToLower(v)) {
			out = append(out, &UnknownNameError{What: "value of label set " + key, Where: "--label-filter", Name: v, Known: vals})
		}
	}
	return out
}
