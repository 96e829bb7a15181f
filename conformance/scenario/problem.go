package scenario

import (
	"fmt"
	"strings"
)

// Problem is one reason a scenario file was rejected, located as precisely
// as the format allows.
type Problem struct {
	File string
	Line int
	// Field is the path of the offending value inside the file, e.g.
	// steps[2].expect.status.
	Field   string
	Message string
}

// String renders file:line: field: message, the form editors and CI logs
// turn into links.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError lists every problem found while loading scenarios, so an author
// fixes them all in one round.
type LoadError struct {
	Problems []Problem
}

// Error renders one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// fieldString renders an instance location as a field path.
func fieldString(loc []string) string {
	var b strings.Builder
	for _, seg := range loc {
		if isIndex(seg) {
			fmt.Fprintf(&b, "[%s]", seg)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func isIndex(seg string) bool {
	if seg == "" {
		return false
	}
	for _, r := range seg {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
