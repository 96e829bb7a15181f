package scenario

import (
	"fmt"
	"slices"
	"strings"
)

// UnknownNameError is a name the harness does not know: a capability, a
// label, a scenario id, a credential, an environment variable. It lists
// the known ones and, where one is close, suggests it, because a
// misspelt name silently selecting nothing is how a CI gate goes green
// without having checked anything.
type UnknownNameError struct {
	// What the name is, e.g. "capability" or "scenario id".
	What string
	// Where it was given, e.g. "CONFORMANCE_CAPABILITIES"; optional.
	Where string
	Name  string
	Known []string
}

// Error renders `where: unknown what "name" (did you mean "x"?; known: a, b)`.
func (e *UnknownNameError) Error() string {
	var b strings.Builder
	if e.Where != "" {
		b.WriteString(e.Where + ": ")
	}
	fmt.Fprintf(&b, "unknown %s %q", e.What, e.Name)
	if near := Closest(e.Name, e.Known, 3); len(near) > 0 {
		fmt.Fprintf(&b, " (did you mean %s?)", quoteAll(near))
	}
	known := e.Known
	const shown = 30
	suffix := ""
	if len(known) > shown {
		known, suffix = known[:shown], fmt.Sprintf(", … %d more; --list prints them", len(e.Known)-shown)
	}
	fmt.Fprintf(&b, "; known: %s%s", strings.Join(known, ", "), suffix)
	return b.String()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// Closest returns up to n known names near name: equal but for case,
// within a small edit distance, or containing it (or contained in it),
// nearest first.
func Closest(name string, known []string, n int) []string {
	type cand struct {
		name string
		dist int
	}
	lower := strings.ToLower(name)
	var out []cand
	for _, k := range known {
		lk := strings.ToLower(k)
		d := editDistance(lower, lk)
		limit := max(2, len(lower)/3)
		switch {
		case lk == lower:
			d = 0
		case d <= limit:
		case len(lower) >= 3 && (strings.Contains(lk, lower) || strings.Contains(lower, lk) && len(lk) >= 3):
			d = limit + 1 + abs(len(lk)-len(lower))
		default:
			continue
		}
		out = append(out, cand{k, d})
	}
	slices.SortStableFunc(out, func(a, b cand) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return strings.Compare(a.name, b.name)
	})
	names := make([]string, 0, n)
	for i := 0; i < len(out) && i < n; i++ {
		names = append(names, out[i].name)
	}
	return names
}

// editDistance is the Levenshtein distance of a and b, by bytes (names
// are ASCII); long inputs are not compared at all.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
