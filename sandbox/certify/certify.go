// Package certify grades a partner's integration from what the sandbox saw
// on the wire. A suite (YAML, scenarios/certify/*.yaml) names the requests
// that matter as classes, the challenges a session arms on the partner's
// own traffic (fault rules and control calls, on a seeded schedule), and
// the verdicts: built-in checks, parameterized by classes and fields, that
// judge the session's journal and answer pass, fail or not exercised with
// the entries they rest on. The package knows no marketplace by name:
// everything GitLab- or Microsoft-specific is data in the suites, so a new
// rule is a file, not code. The format is documented in docs/certify.md.
package certify

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// Suite is a parsed certification suite. Parse checks everything a
// suite says, so that a suite that loads can always be armed and judged.
type Suite struct {
	// Name is the file name without ".yaml".
	Name string
	// API is the marketplace the suite certifies a client of ("gitlab").
	API      string
	Describe string
	// Classes are the request classes by name.
	Classes map[string]Class
	// Challenges are what a session arms, in the file's order.
	Challenges []ChallengeSpec
	// Verdicts are judged in the file's order.
	Verdicts []Verdict
}

// Class is a kind of journal entry a suite talks about: the token
// requests, the creates, the webhook deliveries. Every field that is set
// must match.
type Class struct {
	Name string
	// Direction is "inbound" (the default: requests the client sent) or
	// "outbound" (requests the sandbox sent the client, such as webhooks).
	Direction string
	Method    string
	// Path is a pattern as fault rules write it ("*" one segment, a final
	// "**" any rest); an outbound entry is matched by its URL's path.
	Path string
	// Where maps selectors to the values allowed ("body:action":
	// [ChangePlan, ChangeQuantity]).
	Where map[string][]string
	// Key is the selector (or comma-separated selectors) that says which
	// thing an entry is about: the subscription, the operation. Checks
	// that group entries by thing need it.
	Key string

	path  pathpattern.Pattern
	where []condition
	key   keySpec
}

type condition struct {
	sel    selector
	values []string
}

// Matches reports whether e is of the class. Entries of the control API
// (API "sandbox") and the sandbox's own notes (DirectionSandbox) are
// never of any class: they are the sandbox's doing.
func (c Class) Matches(e journal.Entry) bool {
	if e.API == "sandbox" || e.Direction == journal.DirectionSandbox {
		return false
	}
	out := e.Direction == journal.DirectionOutbound
	if out != (c.Direction == journal.DirectionOutbound) {
		return false
	}
	if c.Method != "" && !strings.EqualFold(c.Method, e.Method) {
		return false
	}
	p := e.Path
	if out {
		p = urlPath(e.URL)
	}
	if !c.path.Match(p) {
		return false
	}
	for _, w := range c.where {
		v, ok := w.sel.value(e)
		if !ok || !contains(w.values, v) {
			return false
		}
	}
	return true
}

// KeyOf is the class's key of e; ok is false when the class has no key or
// e lacks one of its values.
func (c Class) KeyOf(e journal.Entry) (string, bool) { return c.key.value(e) }

func urlPath(raw string) string {
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			rest = rest[j:]
		} else {
			rest = "/"
		}
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Verdict is one requirement judged by a built-in check.
type Verdict struct {
	ID string
	// Requirement says, for a person, what the client must do.
	Requirement string
	// Check is the check kind ("token-reuse").
	Check string
	// Must verdicts decide whether the client passes; the others are
	// advice.
	Must bool

	judge checker
}

// suitesDir is the folder of scenarios.Suites holding the suites.
const suitesDir = "certify"

// Names lists the embedded suites, sorted.
func Names() []string {
	files, _ := fs.Glob(scenarios.Suites, suitesDir+"/*.yaml")
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Load parses the embedded suite name.
func Load(name string) (Suite, error) {
	if !contains(Names(), name) {
		return Suite{}, fmt.Errorf("no certification suite %q; the suites are %s", name, strings.Join(Names(), ", "))
	}
	doc, err := fs.ReadFile(scenarios.Suites, suitesDir+"/"+name+".yaml")
	if err != nil {
		return Suite{}, err
	}
	return Parse(name, doc)
}
