package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Library is a loaded, validated and expanded set of scenarios.
type Library struct {
	// Scenarios are sorted by ID, one per case of data-driven scenarios.
	Scenarios []Scenario
	// Fragments are the shared values of `_*.yaml` files, reachable as
	// ${fragments.<name>} (e.g. a valid order body that cases then edit).
	Fragments map[string]any
}

// Load reads every *.yaml file of fsys (recursively). Files whose name
// starts with `_` hold fragments; the others hold one scenario each. root
// prefixes file names in messages, so that they are clickable. All
// problems of all files are returned together as a *LoadError.
func Load(fsys fs.FS, root string) (*Library, error) {
	files, err := yamlFiles(fsys)
	if err != nil {
		return nil, err
	}
	sch, err := compileSchema()
	if err != nil {
		return nil, err
	}
	lib := &Library{Fragments: map[string]any{}}
	var problems []Problem
	fragmentFiles := map[string]fragmentSource{}
	for _, name := range files {
		if strings.HasPrefix(path.Base(name), "_") {
			problems = append(problems, loadFragments(fsys, name, path.Join(root, name), lib.Fragments, fragmentFiles)...)
		}
	}
	for _, name := range files {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		scs, probs := loadScenario(fsys, name, path.Join(root, name), sch, lib.Fragments)
		problems = append(problems, probs...)
		lib.Scenarios = append(lib.Scenarios, scs...)
	}
	problems = append(problems, duplicateIDs(lib.Scenarios)...)
	problems = append(problems, checkFragments(lib.Fragments, fragmentFiles)...)
	if len(problems) > 0 {
		for i := range problems {
			if problems[i].Line < 1 {
				problems[i].Line = 1 // the document as a whole
			}
		}
		return nil, &LoadError{Problems: sortProblems(problems)}
	}
	sort.Slice(lib.Scenarios, func(i, j int) bool { return lib.Scenarios[i].ID < lib.Scenarios[j].ID })
	return lib, nil
}

func yamlFiles(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading scenarios: %w", err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, errors.New("reading scenarios: no *.yaml files found")
	}
	return files, nil
}

// decodeYAML reads one YAML document strictly (duplicate keys are errors)
// and returns it as JSON values, the form both the schema and the engine use.
func decodeYAML(data []byte, display string) (any, []Problem) {
	if line := aliasBomb(data); line > 0 {
		return nil, []Problem{{File: display, Line: line, Message: fmt.Sprintf("YAML aliases expand this file beyond %d values", maxExpandedNodes)}}
	}
	var tree any
	if err := yaml.UnmarshalWithOptions(data, &tree, yaml.Strict()); err != nil {
		return nil, []Problem{yamlProblem(display, err)}
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, []Problem{{File: display, Message: "not representable as JSON: " + err.Error()}}
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, []Problem{{File: display, Message: err.Error()}}
	}
	return doc, nil
}

func yamlProblem(display string, err error) Problem {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		p := Problem{File: display, Message: yerr.GetMessage()}
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			p.Line = tk.Position.Line
		}
		return p
	}
	return Problem{File: display, Message: err.Error()}
}

func loadFragments(fsys fs.FS, name, display string, into map[string]any, sources map[string]fragmentSource) []Problem {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return []Problem{{File: display, Message: err.Error()}}
	}
	doc, probs := decodeYAML(data, display)
	if probs != nil {
		return probs
	}
	top, ok := doc.(map[string]any)
	frags, ok2 := top["fragments"].(map[string]any)
	if !ok || !ok2 || len(top) != 1 {
		return []Problem{{File: display, Line: 1, Message: "a fragments file holds exactly one key, fragments: {name: value}"}}
	}
	var problems []Problem
	lines := indexLines(data)
	for k, v := range frags {
		if _, dup := into[k]; dup {
			problems = append(problems, Problem{File: display, Line: lines.lineOf([]string{"fragments", k}),
				Field: "fragments." + k, Message: "fragment defined twice"})
		}
		into[k] = v
		sources[k] = fragmentSource{file: display, lines: lines}
	}
	return problems
}

// loadScenario validates one file and returns its scenario, one per case
// when it is data-driven, or the problems found.
func loadScenario(fsys fs.FS, name, display string, sch *schema, fragments map[string]any) ([]Scenario, []Problem) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, []Problem{{File: display, Message: err.Error()}}
	}
	doc, probs := decodeYAML(data, display)
	if probs != nil {
		return nil, probs
	}
	lines := indexLines(data)
	cases, probs := eachCases(doc, display, lines)
	if probs != nil {
		return nil, probs
	}
	if cases == nil {
		sc, probs := decodeOne(doc, display, lines, sch, fragments)
		if probs != nil {
			return nil, probs
		}
		return []Scenario{sc}, nil
	}
	var out []Scenario
	var problems []Problem
	for _, c := range cases {
		sc, probs := decodeOne(substituteEach(doc, c), display, lines, sch, fragments)
		for _, p := range probs {
			p.Message += fmt.Sprintf(" (case %s)", caseName(c))
			problems = append(problems, p)
		}
		sc.ID += "/" + caseName(c)
		sc.Case = c
		out = append(out, sc)
	}
	if problems != nil {
		return nil, dedupe(problems)
	}
	return out, nil
}

// decodeOne validates one (expanded) scenario document and decodes it.
// Every kind of problem is looked for at once: references are checked on
// the document even when the schema rejects it, so an author sees schema
// and reference mistakes in one round.
func decodeOne(doc any, display string, lines lineIndex, sch *schema, fragments map[string]any) (Scenario, []Problem) {
	var problems []Problem
	report := func(loc []string, msg string) {
		problems = append(problems, Problem{File: display, Line: lines.lineOf(loc), Field: fieldString(loc), Message: msg})
	}
	checkDocReferences(doc, fragments, report)
	raw, _ := json.Marshal(doc)
	if probs := sch.validate(display, doc, lines); probs != nil {
		// Still look for what the schema cannot see, where the document
		// decodes at all.
		var sc Scenario
		if json.Unmarshal(raw, &sc) == nil {
			checkSteps(sc, report)
		}
		return Scenario{}, sortProblems(dedupe(append(probs, problems...)))
	}
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, append(problems, Problem{File: display, Line: 1, Message: err.Error()})
	}
	sc.Source = Source{File: display, Line: lines.lineOf([]string{"id"})}
	for i := range sc.Steps {
		sc.Steps[i].Line = lines.lineOf([]string{"steps", fmt.Sprint(i)})
	}
	checkSteps(sc, report)
	if !checksSomething(sc) {
		report([]string{"steps"}, "no step checks anything (no expect, capture, lifecycle, poll, control or token step): the scenario would pass whatever the target answers")
	}
	if problems != nil {
		return Scenario{}, sortProblems(dedupe(problems))
	}
	return sc, nil
}

// checkDocReferences checks every reference of a scenario document. A
// step may use the variables earlier steps capture, and its own captures
// in its expect (captures are taken first); a variable captured only by a
// later step is named as such.
func checkDocReferences(doc any, fragments map[string]any, report func([]string, string)) {
	top, ok := doc.(map[string]any)
	if !ok {
		return
	}
	steps, _ := top["steps"].([]any)
	api, _ := top["api"].(string)
	if !slices.Contains(APIs(), api) {
		api = APIGitLab // the schema reports the api itself
	}
	all := map[string]bool{}
	for _, st := range steps {
		maps.Copy(all, captureNames(st))
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "steps" {
			checkReferences(top[k], []string{k}, refScope{vars: all, fragments: fragments, api: api}, report)
		}
	}
	seen := map[string]bool{}
	for i, raw := range steps {
		own := captureNames(raw)
		st, _ := raw.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(st)) {
			vars := seen
			if k == "expect" {
				vars = maps.Clone(seen)
				maps.Copy(vars, own)
			}
			checkReferences(st[k], []string{"steps", fmt.Sprint(i), k}, refScope{vars: vars, later: all, fragments: fragments, api: api}, report)
		}
		maps.Copy(seen, own)
	}
}

// captureNames are the variables a raw step captures.
func captureNames(step any) map[string]bool {
	out := map[string]bool{}
	st, _ := step.(map[string]any)
	caps, _ := st["capture"].(map[string]any)
	for name := range caps {
		out[name] = true
	}
	return out
}

// sortProblems orders problems by file, then line, so that they read
// top to bottom in the editor.
func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

func sameKeys(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func duplicateIDs(scs []Scenario) []Problem {
	first := map[string]Source{}
	var problems []Problem
	for _, sc := range scs {
		if prev, ok := first[sc.ID]; ok {
			problems = append(problems, Problem{File: sc.Source.File, Line: sc.Source.Line, Field: "id",
				Message: fmt.Sprintf("id %q already used at %s", sc.ID, prev)})
			continue
		}
		first[sc.ID] = sc.Source
	}
	return problems
}
