package scenario

import (
	"fmt"
	"regexp"
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
	vars      map[string]bool
	each      map[string]bool
	fragments map[string]any
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
	case "vars":
		return one(sc.vars, "variable (no step captures it)")
	case "each":
		return one(sc.each, "each key")
	case "fragments":
		set := map[string]bool{}
		for k := range sc.fragments {
			set[k] = true
		}
		return one(set, "fragment")
	case "creds":
		if len(ref.Parts) != 2 || !contains(CredentialNames(), ref.Parts[0]) || !contains(credentialFields, ref.Parts[1]) {
			return fmt.Sprintf("want ${creds.<%s>.<%s>}", strings.Join(CredentialNames(), "|"), strings.Join(credentialFields, "|"))
		}
		return ""
	case "target":
		if len(ref.Parts) != 1 || !contains(targetFields, ref.Parts[0]) {
			return fmt.Sprintf("want ${target.<%s>}", strings.Join(targetFields, "|"))
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
