package settings

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// DecodeYAML decodes doc into dst strictly (see DecodeFile) and reports
// its problems without a file name.
func DecodeYAML(doc []byte, dst any) error {
	_, err := DecodeFile("", doc, dst)
	return err
}

// DecodeFile decodes the YAML file doc, named name in messages, into dst
// (a pointer to a struct), refusing rather than guessing: a key the struct
// lacks (at any depth), a repeated key, a null, a value of the wrong YAML
// type (a number for a text setting, a quoted "true" for a boolean, 1.5
// for a whole number, an octal or hex number), an unparsable time or
// duration, a number out of range, an empty file, a file that is not one
// mapping. The error is a *FileError listing every problem with its line
// and column. Places says where each key was, for problems found later.
func DecodeFile(name string, doc []byte, dst any) (places *Places, err error) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("settings: DecodeFile needs a pointer to a struct")
	}
	d := &decoder{places: &Places{file: name, at: map[string]Position{}}, fe: &FileError{File: name}}
	defer func() {
		// The YAML parser is third-party code fed whatever a user wrote; a
		// crash in it is one more problem of the file, not of the sandbox.
		if r := recover(); r != nil {
			d.fe.Problems = append(d.fe.Problems, Problem{Message: fmt.Sprintf("not YAML the parser can read (%v)", r)})
			places, err = d.places, d.fe
		}
	}()
	body, ok := d.document(doc)
	if ok {
		d.anchors = anchorsOf(body)
		d.value(body, v.Elem(), "")
	}
	sortProblems(d.fe.Problems)
	return d.places, d.fe.orNil()
}

// decoder walks a YAML tree along a Go type, recording problems.
type decoder struct {
	places  *Places
	fe      *FileError
	anchors map[string]ast.Node
	// aliases counts alias expansions, bounding what a file of aliases to
	// aliases can make the decoder do.
	aliases int
}

// maxAliases bounds alias expansions per file.
const maxAliases = 10000

func (d *decoder) problem(n ast.Node, key, format string, args ...any) {
	d.fe.Problems = append(d.fe.Problems, Problem{At: positionOf(n), Key: key, Message: fmt.Sprintf(format, args...)})
}

func positionOf(n ast.Node) Position {
	if n == nil {
		return Position{}
	}
	if rv := reflect.ValueOf(n); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return Position{}
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		return positionOf(x.Body)
	case *ast.MappingNode:
		// A block mapping's token is its first colon; its first key is
		// where a reader sees it start.
		if len(x.Values) > 0 && !x.IsFlowStyle {
			return positionOf(x.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return positionOf(x.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Position{}
	}
	return Position{Line: tk.Position.Line, Column: tk.Position.Column}
}

// document parses doc and returns the body of its one document.
func (d *decoder) document(doc []byte) (ast.Node, bool) {
	f, err := parser.ParseBytes(doc, 0)
	if err != nil {
		d.syntaxError(err)
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		d.problem(nil, "", "the file is empty: it holds no settings (write {} for a file that sets nothing)")
		return nil, false
	case len(bodies) > 1:
		d.problem(bodies[1], "", "a second YAML document (after ---): the file must be one document")
		return nil, false
	}
	if _, ok := unwrap(bodies[0]).(*ast.MappingNode); !ok {
		d.problem(bodies[0], "", "the file must be a mapping of keys to values, not %s", describe(bodies[0]))
		return nil, false
	}
	return bodies[0], true
}

func (d *decoder) syntaxError(err error) {
	var ye yaml.Error
	if e, ok := err.(yaml.Error); ok {
		ye = e
	}
	if ye == nil || ye.GetToken() == nil || ye.GetToken().Position == nil {
		d.fe.Problems = append(d.fe.Problems, Problem{Message: "not valid YAML: " + err.Error()})
		return
	}
	p := ye.GetToken().Position
	d.fe.Problems = append(d.fe.Problems, Problem{At: Position{Line: p.Line, Column: p.Column}, Message: "not valid YAML: " + ye.GetMessage()})
}

// unwrap looks through an anchor (&name) and comments to the value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.CommentGroupNode:
			return nil
		default:
			return n
		}
	}
}

// anchorsOf maps every anchor name in the tree to its value.
func anchorsOf(root ast.Node) map[string]ast.Node {
	out := map[string]ast.Node{}
	ast.Walk(anchorVisitor(out), root)
	return out
}

type anchorVisitor map[string]ast.Node

func (a anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if x, ok := n.(*ast.AnchorNode); ok && x.Name != nil {
		a[x.Name.GetToken().Value] = x.Value
	}
	return a
}

// resolve follows anchors and aliases to the node that holds the value.
func (d *decoder) resolve(n ast.Node, key string) (ast.Node, bool) {
	for range 64 {
		n = unwrap(n)
		alias, ok := n.(*ast.AliasNode)
		if !ok {
			return n, true
		}
		d.aliases++
		if d.aliases > maxAliases {
			d.problem(alias, key, "more than %d alias expansions in one file", maxAliases)
			return nil, false
		}
		name := ""
		if alias.Value != nil {
			name = alias.Value.GetToken().Value
		}
		target, ok := d.anchors[name]
		if !ok {
			d.problem(alias, key, "alias *%s names no anchor", name)
			return nil, false
		}
		n = target
	}
	d.problem(n, key, "aliases nest too deep")
	return nil, false
}

// value decodes node into v, the setting or part of one at path key.
func (d *decoder) value(node ast.Node, v reflect.Value, key string) {
	n, ok := d.resolve(node, key)
	if !ok {
		return
	}
	if n == nil {
		d.problem(node, key, "has no value")
		return
	}
	if _, null := n.(*ast.NullNode); null {
		d.problem(n, key, "has no value (null): write a value, or leave the key out for the default")
		return
	}
	if u, ok := v.Addr().Interface().(yaml.BytesUnmarshaler); ok {
		d.custom(n, u, key)
		return
	}
	switch {
	case v.Type() == timeType || v.Type() == durationType:
		d.scalar(n, v, key)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, key)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, key)
	case isScalarKind(v.Kind()):
		d.scalar(n, v, key)
	default:
		d.fallback(n, v, key)
	}
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// custom hands a value to its type's own YAML decoding (fault rules
// decode through the control API's JSON), placing its error at the node.
func (d *decoder) custom(n ast.Node, u yaml.BytesUnmarshaler, key string) {
	d.register(n, key)
	if err := u.UnmarshalYAML([]byte(n.String())); err != nil {
		for _, e := range flatten(err) {
			msg := e.Error()
			p := d.places.problemOf(msg)
			if p.At.Line == 0 {
				p.At = positionOf(n)
			}
			if !strings.HasPrefix(msg, key) {
				p.Key = key
			}
			d.fe.Problems = append(d.fe.Problems, p)
		}
	}
}

// register records where every key under n is, whatever the Go type, so
// that later problems about them can be placed.
func (d *decoder) register(n ast.Node, key string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	if _, seen := d.places.at[key]; !seen && key != "" {
		d.places.at[key] = positionOf(n)
	}
	switch x := n.(type) {
	case *ast.MappingNode:
		for _, mv := range x.Values {
			if k := keyText(mv.Key); k != "" {
				d.places.at[join(key, k)] = positionOf(mv.Key)
				d.register(mv.Value, join(key, k))
			}
		}
	case *ast.SequenceNode:
		for i, item := range x.Values {
			d.register(item, fmt.Sprintf("%s[%d]", key, i))
		}
	}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// fallback decodes a type this decoder has no rule for with the YAML
// library's strict decoding.
func (d *decoder) fallback(n ast.Node, v reflect.Value, key string) {
	d.register(n, key)
	if err := yaml.NodeToValue(n, v.Addr().Interface(), yaml.Strict()); err != nil {
		msg := err.Error()
		if ye, ok := err.(yaml.Error); ok {
			msg = ye.GetMessage()
		}
		d.problem(n, key, "%s", msg)
	}
}

// keyText is a mapping key as text; "" for keys that are not scalars.
func keyText(k ast.MapKeyNode) string {
	switch x := k.(type) {
	case *ast.StringNode:
		return x.Value
	case ast.ScalarNode:
		return fmt.Sprint(x.GetValue())
	}
	return ""
}

// describe names the kind of YAML value n is, for messages.
func describe(n ast.Node) string {
	switch unwrap(n).(type) {
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "null"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.AliasNode:
		return "an alias"
	}
	return "text"
}

// isQuoted says whether a scalar was written in quotes.
func isQuoted(n ast.Node) bool {
	tk := n.GetToken()
	return tk != nil && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType)
}
