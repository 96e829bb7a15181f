package certify

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
)

// The file's shapes. Lists and maps whose items carry their own line are
// kept as YAML nodes and decoded one by one, so that every error names
// the line it is about.
type suiteFile struct {
	Name       string   `yaml:"name"`
	API        string   `yaml:"api"`
	Describe   string   `yaml:"describe"`
	Classes    ast.Node `yaml:"classes"`
	Challenges ast.Node `yaml:"challenges"`
	Verdicts   ast.Node `yaml:"verdicts"`
}

type classFile struct {
	Direction string              `yaml:"direction"`
	Method    string              `yaml:"method"`
	Path      string              `yaml:"path"`
	Where     map[string][]string `yaml:"where"`
	Key       string              `yaml:"key"`
}

type challengeFile struct {
	ID       string        `yaml:"id"`
	Describe string        `yaml:"describe"`
	Fault    ast.Node      `yaml:"fault"`
	Nth      []int         `yaml:"nth"`
	After    *triggerFile  `yaml:"after"`
	Delay    time.Duration `yaml:"delay"`
	Control  *controlFile  `yaml:"control"`
}

type triggerFile struct {
	Class  string `yaml:"class"`
	Status int    `yaml:"status"`
	Key    string `yaml:"key"`
}

type controlFile struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	Body   any    `yaml:"body"`
}

type verdictFile struct {
	ID          string   `yaml:"id"`
	Requirement string   `yaml:"requirement"`
	Check       string   `yaml:"check"`
	With        ast.Node `yaml:"with"`
	Must        *bool    `yaml:"must"`
}

// idPattern keeps challenge ids usable as fault rule ids (and verdict ids
// as JUnit test names).
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// problems collects what is wrong with a suite, each prefixed with the
// suite's name and the line.
type problems struct {
	name string
	list []error
}

func (p *problems) add(n ast.Node, field, format string, args ...any) {
	p.list = append(p.list, fmt.Errorf("%s.yaml:%d: %s: %s", p.name, lineOf(n), field, fmt.Sprintf(format, args...)))
}

// yaml records a decoding error of goccy/go-yaml with its own line.
func (p *problems) yaml(field string, err error) {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		line := 0
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line
		}
		p.list = append(p.list, fmt.Errorf("%s.yaml:%d: %s: %s", p.name, line, field, yerr.GetMessage()))
		return
	}
	p.list = append(p.list, fmt.Errorf("%s.yaml: %s: %v", p.name, field, err))
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// decode reads n into v strictly: unknown fields, duplicate keys and
// wrong types are errors.
func decode(n ast.Node, v any) error {
	return yaml.NodeToValue(n, v, yaml.Strict())
}

// Parse reads the suite called name (its file name without ".yaml")
// strictly, reporting every problem with its line and field.
func Parse(name string, doc []byte) (Suite, error) {
	p := &problems{name: name}
	var f suiteFile
	if err := yaml.UnmarshalWithOptions(doc, &f, yaml.Strict()); err != nil {
		p.yaml("suite", err)
		return Suite{}, errors.Join(p.list...)
	}
	s := Suite{Name: name, API: f.API, Describe: f.Describe, Classes: map[string]Class{}}
	if f.Name != name {
		p.list = append(p.list, fmt.Errorf("%s.yaml:1: name: must be the file's name %q, not %q", name, name, f.Name))
	}
	if f.API == "" {
		p.list = append(p.list, fmt.Errorf("%s.yaml:1: api: the marketplace the suite certifies is required", name))
	}
	s.Classes = parseClasses(p, f.Classes)
	s.Challenges = parseChallenges(p, f.Challenges, s)
	s.Verdicts = parseVerdicts(p, f.Verdicts, s.Classes)
	if len(p.list) > 0 {
		return Suite{}, errors.Join(p.list...)
	}
	return s, nil
}

// items are the values of a YAML sequence.
func items(p *problems, n ast.Node, field string) []ast.Node {
	if n == nil {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		p.add(n, field, "must be a list")
		return nil
	}
	return seq.Values
}

func parseClasses(p *problems, n ast.Node) map[string]Class {
	out := map[string]Class{}
	if n == nil {
		return out
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		p.add(n, "classes", "must be a mapping of class names to classes")
		return out
	}
	for _, mv := range m.Values {
		name := mv.Key.GetToken().Value
		field := "classes." + name
		var cf classFile
		if err := decode(mv.Value, &cf); err != nil {
			p.yaml(field, err)
			continue
		}
		c, err := compileClass(name, cf)
		if err != nil {
			p.add(mv.Value, field, "%v", err)
			continue
		}
		out[name] = c
	}
	return out
}

func compileClass(name string, cf classFile) (Class, error) {
	c := Class{Name: name, Direction: cf.Direction, Method: strings.ToUpper(cf.Method), Path: cf.Path, Where: cf.Where, Key: cf.Key}
	if c.Direction == "" {
		c.Direction = journal.DirectionInbound
	}
	if c.Direction != journal.DirectionInbound && c.Direction != journal.DirectionOutbound {
		return c, fmt.Errorf("direction must be inbound or outbound, not %q", c.Direction)
	}
	if cf.Path != "" {
		pat, err := pathpattern.Parse(cf.Path)
		if err != nil {
			return c, fmt.Errorf("path %q %v", cf.Path, err)
		}
		c.path = pat
	}
	names := make([]string, 0, len(cf.Where))
	for sel := range cf.Where {
		names = append(names, sel)
	}
	sort.Strings(names)
	for _, text := range names {
		sel, err := parseSelector(text)
		if err != nil {
			return c, fmt.Errorf("where: %v", err)
		}
		c.where = append(c.where, condition{sel: sel, values: cf.Where[text]})
	}
	if cf.Key != "" {
		k, err := parseKey(cf.Key)
		if err != nil {
			return c, fmt.Errorf("key: %v", err)
		}
		c.key = k
	}
	if c.Method == "" && c.Path == "" && len(c.where) == 0 && c.Direction == journal.DirectionInbound {
		return c, errors.New("give at least one of method, path and where, or direction outbound (a class of everything judges nothing)")
	}
	return c, nil
}

func parseChallenges(p *problems, n ast.Node, s Suite) []ChallengeSpec {
	var out []ChallengeSpec
	seen := map[string]bool{}
	for i, item := range items(p, n, "challenges") {
		field := fmt.Sprintf("challenges[%d]", i)
		var cf challengeFile
		if err := decode(item, &cf); err != nil {
			p.yaml(field, err)
			continue
		}
		if cf.ID != "" {
			field = "challenges." + cf.ID
		}
		switch {
		case !idPattern.MatchString(cf.ID):
			p.add(item, field+".id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		case seen[cf.ID]:
			p.add(item, field+".id", "%q is used twice", cf.ID)
		}
		seen[cf.ID] = true
		if c, err := compileChallenge(cf, s); err != nil {
			p.add(item, field, "%v", err)
		} else {
			out = append(out, c)
		}
	}
	return out
}

func compileChallenge(cf challengeFile, s Suite) (ChallengeSpec, error) {
	c := ChallengeSpec{ID: cf.ID, Describe: cf.Describe, Delay: cf.Delay, Nth: [2]int{1, 1}}
	if cf.Describe == "" {
		return c, errors.New("describe: say what the challenge does, for the session's challenge list")
	}
	if (cf.Fault == nil) == (cf.Control == nil) {
		return c, errors.New("give exactly one of fault (a fault rule) and control (a control call)")
	}
	if cf.Delay < 0 || cf.Delay > 10*time.Minute {
		return c, errors.New("delay: must be from 0s to 10m")
	}
	if cf.Fault != nil {
		if cf.After != nil || cf.Delay != 0 {
			return c, errors.New("a fault challenge is armed from the start: after and delay are for control calls (use nth)")
		}
		rule, err := decodeRule(cf.Fault)
		if err != nil {
			return c, fmt.Errorf("fault: %v", err)
		}
		rule.ID, rule.API = cf.ID, s.API
		c.Fault = &rule
		if cf.Nth != nil {
			if len(cf.Nth) != 2 || cf.Nth[0] < 1 || cf.Nth[1] < cf.Nth[0] || cf.Nth[1] > 100 {
				return c, errors.New("nth: must be [low, high] with 1 ≤ low ≤ high ≤ 100")
			}
			c.Nth = [2]int{cf.Nth[0], cf.Nth[1]}
		}
		return c, nil
	}
	if cf.Nth != nil {
		return c, errors.New("nth: only a fault challenge counts matching requests; a control call waits for after")
	}
	ctl, err := compileControl(*cf.Control)
	if err != nil {
		return c, fmt.Errorf("control: %v", err)
	}
	c.Control = &ctl
	if cf.After != nil {
		t, err := compileTrigger(*cf.After, s.Classes)
		if err != nil {
			return c, fmt.Errorf("after: %v", err)
		}
		c.After = &t
	} else if cf.Delay != 0 {
		return c, errors.New("delay: only a triggered call (after) waits")
	}
	return c, nil
}

// decodeRule reads a fault rule as the control API takes it, through
// JSON, so that the suite writes exactly the fault store's field names.
// The challenge sets id, api and schedule itself.
func decodeRule(n ast.Node) (fault.Rule, error) {
	var v any
	if err := yaml.NodeToValue(n, &v, yaml.Strict()); err != nil {
		return fault.Rule{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fault.Rule{}, errors.New("must be a mapping with match and effect")
	}
	for _, own := range []string{"id", "api", "schedule"} {
		if _, set := obj[own]; set {
			return fault.Rule{}, fmt.Errorf("%s is set by the challenge (its id, the suite's api, and nth)", own)
		}
	}
	js, err := json.Marshal(v)
	if err != nil {
		return fault.Rule{}, err
	}
	rule, err := fault.DecodeRule(js)
	if err != nil {
		return fault.Rule{}, err
	}
	if rule.Effect == (fault.Effect{}) {
		return fault.Rule{}, errors.New("effect: give a status, latency or transport")
	}
	return rule, nil
}

func compileControl(cf controlFile) (Control, error) {
	c := Control{Method: strings.ToUpper(cf.Method), Path: cf.Path}
	if c.Method == "" || !strings.HasPrefix(c.Path, "/_sandbox/") {
		return c, errors.New("method and a path under /_sandbox/ (the session's own control API) are required")
	}
	if cf.Body != nil {
		b, err := json.Marshal(cf.Body)
		if err != nil {
			return c, fmt.Errorf("body: %v", err)
		}
		c.Body = b
	}
	return c, nil
}

func compileTrigger(tf triggerFile, classes map[string]Class) (Trigger, error) {
	cls, ok := classes[tf.Class]
	if !ok {
		return Trigger{}, unknownClass(tf.Class, classes)
	}
	t := Trigger{Class: tf.Class, Status: tf.Status, Key: tf.Key, class: cls, key: cls.key}
	if tf.Key != "" {
		k, err := parseKey(tf.Key)
		if err != nil {
			return t, fmt.Errorf("key: %v", err)
		}
		t.key = k
	}
	return t, nil
}

func unknownClass(name string, classes map[string]Class) error {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	if name == "" {
		return fmt.Errorf("a class is required (the classes are %s)", strings.Join(names, ", "))
	}
	return fmt.Errorf("no class %q (the classes are %s)", name, strings.Join(names, ", "))
}

func parseVerdicts(p *problems, n ast.Node, classes map[string]Class) []Verdict {
	var out []Verdict
	seen := map[string]bool{}
	for i, item := range items(p, n, "verdicts") {
		field := fmt.Sprintf("verdicts[%d]", i)
		var vf verdictFile
		if err := decode(item, &vf); err != nil {
			p.yaml(field, err)
			continue
		}
		if vf.ID != "" {
			field = "verdicts." + vf.ID
		}
		switch {
		case !idPattern.MatchString(vf.ID):
			p.add(item, field+".id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		case seen[vf.ID]:
			p.add(item, field+".id", "%q is used twice", vf.ID)
		}
		seen[vf.ID] = true
		if vf.Requirement == "" {
			p.add(item, field+".requirement", "say what the client must do")
		}
		kind, ok := kinds[vf.Check]
		if !ok {
			p.add(item, field+".check", "%q is not a check kind (the kinds are %s)", vf.Check, strings.Join(kindNames(), ", "))
			continue
		}
		params := func(v any) error {
			if vf.With == nil {
				return nil
			}
			return decode(vf.With, v)
		}
		judge, err := kind(params, classes)
		if err != nil {
			var yerr yaml.Error
			if errors.As(err, &yerr) {
				p.yaml(field+".with", err)
			} else {
				at := item
				if vf.With != nil {
					at = vf.With
				}
				p.add(at, field+".with", "%v", err)
			}
			continue
		}
		must := vf.Must == nil || *vf.Must
		out = append(out, Verdict{ID: vf.ID, Requirement: vf.Requirement, Check: vf.Check, Must: must, judge: judge})
	}
	return out
}
