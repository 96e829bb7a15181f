package settings

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Position is a place in a YAML file, counted from 1 as editors count.
type Position struct {
	Line   int
	Column int
}

func (p Position) String() string {
	if p.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Column)
}

// Problem is one thing wrong with a setting: where it is, which key, what.
// Key is the dotted path of the setting ("gitlab.zuora.latency",
// "gitlab.partners[2].client_id"), empty for a problem of the whole file.
type Problem struct {
	At      Position
	Key     string
	Message string
}

// FileError lists every problem found in one YAML file, each on its own
// line as file:line:column: key: message, the form editors and CI logs
// link to the place.
type FileError struct {
	// File is the file's name as the user gave it ("" when unnamed).
	File     string
	Problems []Problem
}

func (e *FileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var b strings.Builder
		b.WriteString(e.File)
		if at := p.At.String(); at != "" {
			if e.File != "" {
				b.WriteString(":")
			}
			b.WriteString(at)
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		if p.Key != "" {
			b.WriteString(p.Key + ": ")
		}
		b.WriteString(p.Message)
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// orNil is e as an error, nil when it lists nothing.
func (e *FileError) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Places says where each key of a decoded file was written, so that a
// problem found after decoding (a value out of range, two partners with
// one client id) can name its line as well as its key.
type Places struct {
	file string
	at   map[string]Position
}

// Lookup is where key (or, failing that, the nearest enclosing key that
// the file has) was written.
func (p *Places) Lookup(key string) (Position, bool) {
	if p == nil {
		return Position{}, false
	}
	for k := key; k != ""; k = parentKey(k) {
		if at, ok := p.at[k]; ok {
			return at, true
		}
	}
	return Position{}, false
}

// parentKey drops the last part of a key path: a.b[2].c → a.b[2] → a.b → a.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i <= 0 {
		return ""
	}
	return key[:i]
}

// leadingKey matches the key path a validation message starts with, in
// either of the forms used here: "key: message" and "key is required".
var leadingKey = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*)(?::| )`)

// keysIn matches every key path mentioned in a message.
var keysIn = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+`)

// Explain turns err, the problems a Validate method found after the file
// was decoded (errors.Join of "key: message" errors), into a FileError
// that places each problem at the line of its key. A problem whose key the
// file does not have is placed at another key its message names that the
// file does have (journal.max_bytes must hold 4 × journal.body_bytes), or
// left with its key alone.
func (p *Places) Explain(err error) error {
	if err == nil {
		return nil
	}
	fe := &FileError{File: p.fileName()}
	for _, e := range flatten(err) {
		fe.Problems = append(fe.Problems, p.problemOf(e.Error()))
	}
	return fe
}

func (p *Places) fileName() string {
	if p == nil {
		return ""
	}
	return p.file
}

func (p *Places) problemOf(msg string) Problem {
	m := leadingKey.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Message: msg}
	}
	if at, ok := p.exact(m[1]); ok {
		return Problem{At: at, Message: msg}
	}
	for _, k := range keysIn.FindAllString(msg, -1) {
		if at, ok := p.exact(k); ok {
			return Problem{At: at, Message: msg}
		}
	}
	if at, ok := p.Lookup(m[1]); ok {
		return Problem{At: at, Message: msg}
	}
	return Problem{Message: msg}
}

// exact is where key itself, or an element or child of it, was written.
func (p *Places) exact(key string) (Position, bool) {
	if p == nil {
		return Position{}, false
	}
	if at, ok := p.at[key]; ok {
		return at, true
	}
	return Position{}, false
}

// flatten lists the errors inside errors.Join values, each once.
func flatten(err error) []error {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range multi.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var lines []error
	for _, line := range strings.Split(err.Error(), "\n") {
		if line != "" {
			lines = append(lines, errors.New(line))
		}
	}
	return lines
}

// sortProblems orders problems by their place in the file.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].At, ps[j].At
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}
