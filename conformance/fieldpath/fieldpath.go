// Package fieldpath reads and edits JSON documents with the dotted field paths
// the sandbox also uses in its validation errors: `customer.contact.email`,
// `orderLines[0].productId`. Scenarios use the same syntax to point at a
// response value, to capture one, and to remove or replace a field of a
// request body, so one notation serves the reader of an error body and the
// author of a scenario.
//
// Two additions exist for expectations only: `$` is the whole document and
// `[*]` selects every element of an array, giving the list of what follows.
package fieldpath

import (
	"fmt"
	"strconv"
	"strings"
)

// Segment is one step of a path: a property name, an array index, or the
// `[*]` wildcard.
type Segment struct {
	// Key is the property name; empty for index and wildcard segments.
	Key string
	// Index is the array position when Key is empty and Wildcard is false.
	Index int
	// Wildcard marks `[*]`.
	Wildcard bool
}

// Path is a parsed field path. The zero Path is the whole document.
type Path []Segment

// Parse reads a path such as `errors[*].field`. The root may be written `$`,
// `$.a` or just `a`; keys containing dots or brackets are not supported, as
// no GitLab field has them.
func Parse(s string) (Path, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimPrefix(s, ".")
	var p Path
	for len(s) > 0 {
		switch {
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("field path: unclosed [ in %q", s)
			}
			seg, err := parseIndex(s[1:end])
			if err != nil {
				return nil, err
			}
			p = append(p, seg)
			s = strings.TrimPrefix(s[end+1:], ".")
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return nil, fmt.Errorf("field path: empty property name before %q", s)
			}
			p = append(p, Segment{Key: s[:end]})
			s = strings.TrimPrefix(s[end:], ".")
		}
	}
	return p, nil
}

func parseIndex(s string) (Segment, error) {
	if s == "*" {
		return Segment{Wildcard: true}, nil
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 {
		return Segment{}, fmt.Errorf("field path: bad array index [%s]", s)
	}
	return Segment{Index: i}, nil
}

// String writes the path back in its canonical form.
func (p Path) String() string {
	if len(p) == 0 {
		return "$"
	}
	var b strings.Builder
	for _, seg := range p {
		switch {
		case seg.Wildcard:
			b.WriteString("[*]")
		case seg.Key == "":
			fmt.Fprintf(&b, "[%d]", seg.Index)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg.Key)
		}
	}
	return b.String()
}

// HasWildcard reports whether the path selects a list of values.
func (p Path) HasWildcard() bool {
	for _, seg := range p {
		if seg.Wildcard {
			return true
		}
	}
	return false
}

// Get returns the value at the path and whether it exists. With a wildcard
// the value is the list of every match (possibly empty) and always exists
// when the arrays on the way do.
func (p Path) Get(doc any) (any, bool) {
	cur := doc
	for i, seg := range p {
		if seg.Wildcard {
			arr, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			out := []any{}
			for _, el := range arr {
				if v, ok := p[i+1:].Get(el); ok {
					out = append(out, flatten(p[i+1:], v)...)
				}
			}
			return out, true
		}
		next, ok := step(cur, seg)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// flatten keeps nested wildcards producing one flat list.
func flatten(rest Path, v any) []any {
	if rest.HasWildcard() {
		if list, ok := v.([]any); ok {
			return list
		}
	}
	return []any{v}
}

func step(cur any, seg Segment) (any, bool) {
	if seg.Key != "" {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := obj[seg.Key]
		return v, ok
	}
	arr, ok := cur.([]any)
	if !ok || seg.Index >= len(arr) {
		return nil, false
	}
	return arr[seg.Index], true
}
