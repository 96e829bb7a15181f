// Package pathpattern matches request paths against the small patterns
// fault rules and journal queries use: an exact path, or one where a "*"
// segment stands for any single segment and a final "**" for any rest
// (none included). Paths are compared in their escaped form, so an id that
// contains %2F stays one segment, as the router sees it.
package pathpattern

import (
	"errors"
	"strings"
)

// Pattern is a parsed path pattern.
type Pattern struct {
	text     string
	segments []string
	rest     bool
}

// Parse checks text: it must start with "/", "*" must be a whole segment,
// and "**" may only be the last one.
func Parse(text string) (Pattern, error) {
	if !strings.HasPrefix(text, "/") {
		return Pattern{}, errors.New("must start with /")
	}
	segs := strings.Split(text[1:], "/")
	p := Pattern{text: text}
	for i, s := range segs {
		switch {
		case s == "**" && i == len(segs)-1:
			p.rest = true
			continue
		case s == "**":
			return Pattern{}, errors.New(`"**" may only be the last segment`)
		case s != "*" && strings.Contains(s, "*"):
			return Pattern{}, errors.New(`"*" must be a whole segment, as in /api/v1/marketplace/subscriptions/*`)
		}
		p.segments = append(p.segments, s)
	}
	return p, nil
}

// String is the pattern as written.
func (p Pattern) String() string { return p.text }

// Literal reports whether the pattern has no wildcard, so that it names one
// path only.
func (p Pattern) Literal() bool {
	if p.rest {
		return false
	}
	for _, s := range p.segments {
		if s == "*" {
			return false
		}
	}
	return true
}

// Match reports whether path matches. The zero Pattern matches every path.
func (p Pattern) Match(path string) bool {
	if p.text == "" {
		return true
	}
	if p.Literal() {
		return path == p.text
	}
	if !strings.HasPrefix(path, "/") {
		return false
	}
	got := strings.Split(path[1:], "/")
	if len(got) < len(p.segments) || !p.rest && len(got) != len(p.segments) {
		return false
	}
	for i, want := range p.segments {
		if want == "*" && got[i] == "" || want != "*" && want != got[i] {
			return false
		}
	}
	return true
}
