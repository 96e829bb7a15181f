package scenario

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaJSON is the JSON Schema of a scenario file, for editors
// (yaml-language-server: $schema=...) and for the loader.
//
//go:embed scenario.schema.json
var SchemaJSON []byte

// schemaURL is the $id of SchemaJSON.
const schemaURL = "https://marketplace-sandbox.dev/conformance/scenario.schema.json"

// schema is the compiled SchemaJSON with a printer for its messages.
type schema struct {
	compiled *jsonschema.Schema
	printer  *message.Printer
}

// compiled holds SchemaJSON compiled once: compiling it is most of the
// cost of loading a small library, and the compiled form is read-only.
var compiled = sync.OnceValues(compileSchemaJSON)

func compileSchema() (*schema, error) { return compiled() }

func compileSchemaJSON() (*schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("scenario schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("scenario schema: %w", err)
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("scenario schema: %w", err)
	}
	return &schema{compiled: compiled, printer: message.NewPrinter(language.English)}, nil
}

// validate checks a decoded document (JSON-compatible values) and returns
// one problem per leaf error, each with the line it points at.
func (s *schema) validate(file string, doc any, lines lineIndex) []Problem {
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Problem{{File: file, Message: err.Error()}}
	}
	var out []Problem
	s.collect(file, verr, lines, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return dedupe(out)
}

// collect walks the error tree down to its leaves. A oneOf whose branches
// all fail for a missing property is summarised as one message, which is
// what an author needs ("one of request, poll, control").
func (s *schema) collect(file string, e *jsonschema.ValidationError, lines lineIndex, out *[]Problem) {
	if msg, ok := exclusiveChoice(e); ok {
		*out = append(*out, s.problem(file, e.InstanceLocation, lines, msg))
		return
	}
	if msg, ok := forbidden(e); ok {
		*out = append(*out, s.problem(file, e.InstanceLocation, lines, msg))
		return
	}
	if msg, ok := unknownAction(e); ok {
		*out = append(*out, s.problem(file, e.InstanceLocation, lines, msg))
		return
	}
	if names, ok := missingAlternatives(e); ok {
		*out = append(*out, s.problem(file, e.InstanceLocation, lines,
			"needs exactly one of: "+strings.Join(names, ", ")))
		return
	}
	if len(e.Causes) == 0 {
		loc := e.InstanceLocation
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
			loc = append(append([]string{}, loc...), ap.Properties[0])
		}
		*out = append(*out, s.problem(file, loc, lines, e.ErrorKind.LocalizedString(s.printer)))
		return
	}
	for _, c := range e.Causes {
		s.collect(file, c, lines, out)
	}
}

func (s *schema) problem(file string, loc []string, lines lineIndex, msg string) Problem {
	return Problem{File: file, Line: lines.lineOf(loc), Field: fieldString(loc), Message: msg}
}

// exclusiveChoice words the schema's "exactly one of" rules for people.
func exclusiveChoice(e *jsonschema.ValidationError) (string, bool) {
	if _, ok := e.ErrorKind.(*kind.OneOf); !ok {
		return "", false
	}
	choices := map[string]string{
		"/$defs/step":    "a step has exactly one of: request, poll, control, token",
		"/$defs/auth":    "auth has exactly one of: token, bearer, basic",
		"/$defs/capture": "a capture has exactly one of: json, header",
	}
	for suffix, msg := range choices {
		if strings.HasSuffix(e.SchemaURL, suffix) {
			return msg, true
		}
	}
	return "", false
}

// forbidden words the schema's `false` sub-schemas: what a transport
// expectation cannot be combined with, and `with` on an action that takes
// no arguments.
func forbidden(e *jsonschema.ValidationError) (string, bool) {
	if _, ok := e.ErrorKind.(*kind.FalseSchema); !ok {
		return "", false
	}
	switch {
	case strings.Contains(e.SchemaURL, "/$defs/expect/dependentSchemas/transport/"):
		return "cannot be combined with transport: a request without a whole answer has nothing else to check", true
	case strings.Contains(e.SchemaURL, "/$defs/control/"):
		return "this action takes no arguments", true
	}
	return "", false
}

// unknownAction names a control action the vocabulary lacks, with the
// ones it has, instead of the schema's bare enum message.
func unknownAction(e *jsonschema.ValidationError) (string, bool) {
	en, ok := e.ErrorKind.(*kind.Enum)
	if !ok || !strings.HasSuffix(e.SchemaURL, "/$defs/control/properties/action") {
		return "", false
	}
	return fmt.Sprintf("unknown control action %v (known: %s)", quoted(en.Got), strings.Join(ControlActionNames(), ", ")), true
}

func quoted(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func missingAlternatives(e *jsonschema.ValidationError) ([]string, bool) {
	if _, ok := e.ErrorKind.(*kind.OneOf); !ok || len(e.Causes) == 0 {
		return nil, false
	}
	var names []string
	for _, c := range e.Causes {
		req, ok := c.ErrorKind.(*kind.Required)
		if !ok || len(c.Causes) > 0 {
			return nil, false
		}
		names = append(names, req.Missing...)
	}
	return names, true
}

func dedupe(in []Problem) []Problem {
	seen := map[string]bool{}
	out := in[:0]
	for _, p := range in {
		if !seen[p.String()] {
			seen[p.String()] = true
			out = append(out, p)
		}
	}
	return out
}
