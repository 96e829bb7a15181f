package scenario

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Reference is one ${...} in a scenario string.
type Reference struct {
	// Namespace is the first word: unique, vars, each, creds, target,
	// fragments.
	Namespace string
	// Parts are the dotted words after the namespace.
	Parts []string
}

// referencePattern finds ${...}; `$${` escapes a literal `${`.
var referencePattern = regexp.MustCompile(`\$?\$\{([^}]*)\}`)

// CredentialNames returns the names a scenario may use in auth and
// ${creds.*}: the client allowed to create, a read-only client, and a
// second partner.
func CredentialNames() []string { return []string{"create", "readonly", "second"} }

// credentialFields are the readable fields of a credential.
var credentialFields = []string{"clientId", "clientSecret", "scope", "tradingPartnerId", "partnerId"}

// targetFields are the readable fields of the target.
var targetFields = []string{"url", "productId"}

// FindReferences returns every ${...} in s, parsed. Escaped `$${` is skipped.
func FindReferences(s string) []Reference {
	var out []Reference
	for _, m := range referencePattern.FindAllStringSubmatch(s, -1) {
		if strings.HasPrefix(m[0], "$$") {
			continue
		}
		words := strings.Split(strings.TrimSpace(m[1]), ".")
		out = append(out, Reference{Namespace: words[0], Parts: words[1:]})
	}
	return out
}

// refScope is what a scenario's references may name.
type refScope struct {
	vars map[string]bool
	// later are variables some step captures, possibly after the step
	// that uses them.
	later     map[string]bool
	each      map[string]bool
	fragments map[string]any
	// anyVars accepts every ${vars.x} and ${each.x}: a fragment is checked
	// once, without knowing the scenarios that use it.
	anyVars bool
	// api is the scenario's dialect, which names the credentials and the
	// target's fields; empty (a fragment) accepts every dialect's.
	api string
}

// credentialNames are the credentials this scope may name.
func (sc refScope) credentialNames() []string {
	if sc.api == "" {
		return union(CredentialNamesFor(APIGitLab), CredentialNamesFor(APIMicrosoft))
	}
	return CredentialNamesFor(sc.api)
}

func (sc refScope) credentialFields() []string {
	if sc.api == "" {
		return union(credentialFieldsFor(APIGitLab), credentialFieldsFor(APIMicrosoft))
	}
	return credentialFieldsFor(sc.api)
}

func (sc refScope) targetFields() []string {
	if sc.api == "" {
		return union(targetFieldsFor(APIGitLab), targetFieldsFor(APIMicrosoft))
	}
	return targetFieldsFor(sc.api)
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// check returns why ref is invalid in this scope, or "".
func (sc refScope) check(ref Reference) string {
	one := func(set map[string]bool, what string) string {
		if len(ref.Parts) != 1 {
			return fmt.Sprintf("${%s.<name>} takes exactly one name", ref.Namespace)
		}
		if !set[ref.Parts[0]] {
			return fmt.Sprintf("unknown %s %q (known: %s)", what, ref.Parts[0], keys(set))
		}
		return ""
	}
	switch ref.Namespace {
	case "unique":
		if len(ref.Parts) != 0 {
			return "${unique} takes no name"
		}
		return ""
	case "vars", "each":
		if sc.anyVars && len(ref.Parts) == 1 {
			return ""
		}
		if ref.Namespace == "each" {
			return one(sc.each, "each key")
		}
		if len(ref.Parts) == 1 && !sc.vars[ref.Parts[0]] && sc.later[ref.Parts[0]] {
			return fmt.Sprintf("variable %q is used before the step that captures it", ref.Parts[0])
		}
		return one(sc.vars, "variable (no step captures it)")
	case "fragments":
		set := map[string]bool{}
		for k := range sc.fragments {
			set[k] = true
		}
		return one(set, "fragment")
	case "creds":
		names, fields := sc.credentialNames(), sc.credentialFields()
		if len(ref.Parts) != 2 || !contains(names, ref.Parts[0]) || !contains(fields, ref.Parts[1]) {
			return fmt.Sprintf("want ${creds.<%s>.<%s>}", strings.Join(names, "|"), strings.Join(fields, "|"))
		}
		return ""
	case "target":
		if fields := sc.targetFields(); len(ref.Parts) != 1 || !contains(fields, ref.Parts[0]) {
			return fmt.Sprintf("want ${target.<%s>}", strings.Join(fields, "|"))
		}
		return ""
	}
	return fmt.Sprintf("unknown reference namespace %q", ref.Namespace)
}

// checkReferences walks a decoded scenario and reports every invalid
// reference with its location.
func checkReferences(node any, loc []string, sc refScope, report func(loc []string, msg string)) {
	switch v := node.(type) {
	case string:
		for _, ref := range FindReferences(v) {
			if msg := sc.check(ref); msg != "" {
				report(loc, msg)
			}
		}
	case map[string]any:
		for k, child := range v {
			at := append(append([]string{}, loc...), k)
			checkReferences(k, at, sc, report)
			checkReferences(child, at, sc, report)
		}
	case []any:
		for i, child := range v {
			checkReferences(child, append(append([]string{}, loc...), fmt.Sprint(i)), sc, report)
		}
	}
}

// fragmentSource locates a fragment, for problems found in it.
type fragmentSource struct {
	file  string
	lines lineIndex
}

// checkFragments checks the references inside fragments, which a
// scenario only resolves when it runs, and refuses fragments that refer
// to themselves through others (they could never be resolved).
func checkFragments(fragments map[string]any, sources map[string]fragmentSource) []Problem {
	var problems []Problem
	for _, name := range slices.Sorted(maps.Keys(fragments)) {
		src := sources[name]
		report := func(loc []string, msg string) {
			problems = append(problems, Problem{File: src.file, Line: src.lines.lineOf(loc), Field: fieldString(loc), Message: msg})
		}
		checkReferences(fragments[name], []string{"fragments", name}, refScope{fragments: fragments, anyVars: true}, report)
		if cycle := fragmentCycle(name, fragments, nil); cycle != nil && cycle[len(cycle)-1] == name {
			report([]string{"fragments", name}, "fragments refer to each other in a cycle: "+strings.Join(cycle, " → "))
		}
	}
	return problems
}

// fragmentCycle returns the path back to name through the fragments it
// refers to, or nil.
func fragmentCycle(name string, fragments map[string]any, path []string) []string {
	if slices.Contains(path, name) {
		return append(path, name)
	}
	if len(path) > 32 {
		return nil
	}
	path = append(path, name)
	for _, ref := range collectReferences(fragments[name]) {
		if ref.Namespace != "fragments" || len(ref.Parts) != 1 {
			continue
		}
		if _, ok := fragments[ref.Parts[0]]; !ok {
			continue
		}
		if c := fragmentCycle(ref.Parts[0], fragments, slices.Clone(path)); c != nil {
			return c
		}
	}
	return nil
}

// collectReferences finds every reference in a value, keys included.
func collectReferences(v any) []Reference {
	var out []Reference
	switch x := v.(type) {
	case string:
		out = FindReferences(x)
	case map[string]any:
		for k, child := range x {
			out = append(append(out, FindReferences(k)...), collectReferences(child)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, collectReferences(child)...)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys(set map[string]bool) string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// ExpandReferences replaces every ${...} of s with what fn returns for it;
// an escaped `$${` becomes a literal `${`.
func ExpandReferences(s string, fn func(Reference) string) string {
	return expandReferences(s, fn, true)
}

// expandReferences replaces references; with unescape false an escaped
// `$${` is left for a later expansion.
func expandReferences(s string, fn func(Reference) string, unescape bool) string {
	return referencePattern.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "$$") {
			if unescape {
				return m[1:]
			}
			return m
		}
		return fn(FindReferences(m)[0])
	})
}

// SingleReference reports whether s is exactly one reference, e.g.
// "${vars.first}"; such a value keeps the type of what it refers to.
func SingleReference(s string) (Reference, bool) {
	loc := referencePattern.FindAllStringIndex(s, -1)
	if len(loc) != 1 || loc[0][0] != 0 || loc[0][1] != len(s) || strings.HasPrefix(s, "$$") {
		return Reference{}, false
	}
	return FindReferences(s)[0], true
}

// UsedCredentials names, sorted, the credentials sc uses: in auth, token
// steps, a purchase's publisher and ${creds.<name>.*} references.
func UsedCredentials(sc Scenario) []string {
	set := map[string]bool{}
	add := func(name string) {
		if name != "" && len(FindReferences(name)) == 0 {
			set[name] = true
		}
	}
	auth := func(r *Request) {
		if r == nil || r.Auth == nil {
			return
		}
		add(r.Auth.Token)
		if r.Auth.Basic != nil {
			add(r.Auth.Basic.Credential)
		}
	}
	for _, st := range sc.Steps {
		auth(st.Request)
		auth(pollRequest(st.Poll))
		if st.Token != nil {
			add(st.Token.Credential)
		}
		if st.Control != nil && st.Control.Action == "purchase" {
			name, _ := st.Control.With["publisher"].(string)
			add(orDefault(name, "publisher"))
		}
	}
	raw, _ := json.Marshal(sc.Steps)
	for _, ref := range FindReferences(string(raw)) {
		if ref.Namespace == "creds" && len(ref.Parts) > 0 {
			add(ref.Parts[0])
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
