package target

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// ParseConfig reads a configuration file strictly: an unknown key, a
// credential name the scenarios do not use, an unknown or repeated
// capability and an empty value are errors with their line, never
// silently ignored settings. A file with no settings at all is refused
// too: it is the wrong file more often than an intended one.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if stripComments(data) == "" {
		return Config{}, errors.New("config: the file holds no settings (want target, control, controlToken, productId, capabilities, credentials, microsoft)")
	}
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return Config{}, fmt.Errorf("config: %s", yaml.FormatError(err, false, true))
	}
	file, _ := parser.ParseBytes(data, 0)
	var problems []string
	bad := func(path, msg string) {
		problems = append(problems, fmt.Sprintf("line %d: %s: %s", lineOf(file, "$."+path), path, msg))
	}
	for _, f := range []struct{ key, value string }{{"target", c.URL}, {"productId", c.ProductID}, {"controlToken", c.ControlToken}} {
		if present(file, "$."+f.key) && strings.TrimSpace(f.value) == "" {
			bad(f.key, "empty value; give one or remove the key")
		}
	}
	for i, cp := range c.Capabilities {
		if err := checkCapability(cp, c.Capabilities[:i]); err != nil {
			bad(fmt.Sprintf("capabilities[%d]", i), err.Error())
		}
	}
	if present(file, "$.control") && !slices.Contains(ControlKinds(), c.Control) {
		bad("control", (&scenario.UnknownNameError{What: "control kind", Name: c.Control, Known: ControlKinds()}).Error())
	}
	if c.Control == ControlNone && len(c.Capabilities) > 0 {
		bad("capabilities", "a target with control: none has no capability")
	}
	problems = append(problems, microsoftProblems(file, c.Microsoft)...)
	for _, name := range slices.Sorted(maps.Keys(c.Credentials)) {
		if !slices.Contains(scenario.CredentialNames(), name) {
			bad("credentials."+name, (&scenario.UnknownNameError{What: "credential", Name: name, Known: scenario.CredentialNames()}).Error())
			continue
		}
		for _, field := range emptyCredentialFields(file, name, c.Credentials[name]) {
			bad("credentials."+name+"."+field, "empty value; give one or remove the key")
		}
	}
	if len(problems) > 0 {
		return Config{}, errors.New("config: " + strings.Join(problems, "\n"))
	}
	return c, nil
}

// microsoftProblems refuses publishers the scenarios do not name and
// empty values in the microsoft section.
func microsoftProblems(file *ast.File, m MicrosoftConfig) []string {
	var problems []string
	bad := func(path, msg string) {
		problems = append(problems, fmt.Sprintf("line %d: %s: %s", lineOf(file, "$."+path), path, msg))
	}
	known := scenario.CredentialNamesFor(scenario.APIMicrosoft)
	for _, name := range slices.Sorted(maps.Keys(m.Publishers)) {
		if !slices.Contains(known, name) {
			bad("microsoft.publishers."+name, (&scenario.UnknownNameError{What: "publisher", Name: name, Known: known}).Error())
			continue
		}
		p := m.Publishers[name]
		for _, f := range []struct{ key, value string }{{"tenantId", p.TenantID}, {"clientId", p.ClientID}, {"clientSecret", p.ClientSecret}, {"publisherId", p.PublisherID}} {
			if present(file, "$.microsoft.publishers."+name+"."+f.key) && strings.TrimSpace(f.value) == "" {
				bad("microsoft.publishers."+name+"."+f.key, "empty value; give one or remove the key")
			}
		}
	}
	fields := m.fields()
	fields["authority"] = m.Authority
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k == "perSeatMax" {
			if present(file, "$.microsoft.perSeatMax") && m.PerSeatMax < 1 {
				bad("microsoft.perSeatMax", "want a whole number of seats, at least 1")
			}
			continue
		}
		if present(file, "$.microsoft."+k) && strings.TrimSpace(fields[k]) == "" {
			bad("microsoft."+k, "empty value; give one or remove the key")
		}
	}
	return problems
}

// stripComments drops blank lines, comments and document markers, to tell
// an empty file from one with settings.
func stripComments(data []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") && t != "---" && t != "..." {
			b.WriteString(t)
		}
	}
	return b.String()
}

// emptyCredentialFields names the fields of a credential written with an
// empty value.
func emptyCredentialFields(file *ast.File, name string, cr Credential) []string {
	var out []string
	for _, f := range []struct{ key, value string }{
		{"clientId", cr.ClientID}, {"clientSecret", cr.ClientSecret}, {"scope", cr.Scope},
		{"tradingPartnerId", cr.TradingPartnerID}, {"partnerId", cr.PartnerID},
	} {
		if present(file, "$.credentials."+name+"."+f.key) && strings.TrimSpace(f.value) == "" {
			out = append(out, f.key)
		}
	}
	return out
}

func present(file *ast.File, path string) bool { return nodeAt(file, path) != nil }

func nodeAt(file *ast.File, path string) ast.Node {
	if file == nil {
		return nil
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(file)
	if err != nil {
		return nil
	}
	return n
}

// lineOf is the line of the value at path, or 0.
func lineOf(file *ast.File, path string) int {
	if n := nodeAt(file, path); n != nil && n.GetToken() != nil && n.GetToken().Position != nil {
		return n.GetToken().Position.Line
	}
	return 0
}

// checkCapability refuses a capability the scenarios do not know, and one
// listed twice.
func checkCapability(cp string, before []string) error {
	switch {
	case strings.TrimSpace(cp) == "":
		return errors.New("empty capability name")
	case !slices.Contains(scenario.Capabilities(), cp):
		return &scenario.UnknownNameError{What: "capability", Name: cp, Known: scenario.Capabilities()}
	case slices.Contains(before, cp):
		return fmt.Errorf("capability %q listed twice", cp)
	}
	return nil
}

// ParseCapabilities reads a comma-separated list of capabilities, as
// CONFORMANCE_CAPABILITIES gives it: "none" alone declares that the target
// has none; every other name must be known, and none empty or repeated.
func ParseCapabilities(s string) ([]string, error) {
	if strings.TrimSpace(s) == "none" {
		return []string{}, nil
	}
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "none" {
			return nil, errors.New(`"none" declares no capability; it cannot be listed with others`)
		}
		if err := checkCapability(p, out); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
