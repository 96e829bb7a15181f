package settings

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// mapping decodes a YAML mapping into the struct v, field by yaml tag.
func (d *decoder) mapping(n ast.Node, v reflect.Value, key string) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.problem(n, key, "must be a mapping of keys to values, not %s", describe(n))
		return
	}
	if key != "" {
		d.places.at[key] = positionOf(m)
	}
	fields := fieldsOf(v.Type())
	seen := map[string]Position{}
	for _, mv := range m.Values {
		if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
			d.problem(mv.Key, key, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		name := keyText(mv.Key)
		path := join(key, name)
		if prev, dup := seen[name]; dup {
			d.problem(mv.Key, path, "is given twice (first at line %d)", prev.Line)
			continue
		}
		seen[name] = positionOf(mv.Key)
		i, known := fields[name]
		if !known {
			d.problem(mv.Key, "", "unknown key %s", unknownKey(name, key, fields))
			continue
		}
		d.places.at[path] = positionOf(mv.Key)
		d.value(mv.Value, v.Field(i), path)
	}
}

// unknownKey phrases an unknown key with the closest known one and the
// known keys at its level.
func unknownKey(name, parent string, fields map[string]int) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	sort.Strings(known)
	where := ""
	if parent != "" {
		where = " in " + parent
	}
	msg := fmt.Sprintf("%q%s", name, where)
	if c := Closest(name, known); c != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", c)
	}
	if len(known) <= 12 {
		msg += "; known: " + strings.Join(known, ", ")
	}
	return msg
}

// fieldsOf maps a struct's yaml names to field indexes; fields without a
// yaml tag, or tagged "-", cannot be set from a file.
func fieldsOf(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name != "" && name != "-" && f.IsExported() {
			out[name] = i
		}
	}
	return out
}

// sequence decodes a YAML list into the slice v, element by element.
func (d *decoder) sequence(n ast.Node, v reflect.Value, key string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.problem(n, key, "must be a list, not %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		path := fmt.Sprintf("%s[%d]", key, i)
		d.places.at[path] = positionOf(item)
		d.value(item, out.Index(i), path)
	}
	v.Set(out)
}

// scalar decodes one YAML scalar into v, insisting that its YAML type is
// the setting's: the file never silently turns a number into text or text
// into a number.
func (d *decoder) scalar(n ast.Node, v reflect.Value, key string) {
	text, kind, ok := scalarText(n)
	if !ok {
		d.problem(n, key, "must be a single value, not %s", describe(n))
		return
	}
	if msg := wrongKind(v, kind, text, isQuoted(n)); msg != "" {
		d.problem(n, key, "%s", msg)
		return
	}
	if err := setValue(v, text); err != nil {
		d.problem(n, key, "%v", err)
	}
}

// scalarKind is what YAML makes of a scalar.
type scalarKind int

const (
	kindText scalarKind = iota
	kindInt
	kindFloat
	kindBool
)

// scalarText is a scalar's text as written and its YAML type. An explicit
// !!str tag makes any scalar text.
func scalarText(n ast.Node) (string, scalarKind, bool) {
	switch x := n.(type) {
	case *ast.TagNode:
		if x.Start == nil || x.Start.Value != "!!str" {
			return "", 0, false
		}
		inner, ok := unwrap(x.Value).(ast.ScalarNode)
		if !ok {
			return "", 0, false
		}
		if s, ok := inner.(*ast.StringNode); ok {
			return s.Value, kindText, true
		}
		return inner.GetToken().Value, kindText, true
	case *ast.StringNode:
		return x.Value, kindText, true
	case *ast.LiteralNode:
		return fmt.Sprint(x.GetValue()), kindText, true
	case *ast.IntegerNode:
		if x.Token.Type != token.IntegerType {
			return x.Token.Value, kindFloat, true // octal, hex, binary: not decimal
		}
		return x.Token.Value, kindInt, true
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, kindFloat, true
	case *ast.BoolNode:
		return x.Token.Value, kindBool, true
	}
	return "", 0, false
}

// wrongKind explains why a scalar of kind cannot be v, or is "".
func wrongKind(v reflect.Value, kind scalarKind, text string, quoted bool) string {
	switch {
	case v.Type() == durationType:
		if kind == kindText || kind == kindInt || (kind == kindFloat && seconds.MatchString(text)) {
			return ""
		}
		return fmt.Sprintf("%s is not a duration (write 90s, 30m, 2h or a number of seconds)", text)
	case v.Type() == timeType:
		if kind == kindText {
			return ""
		}
		return fmt.Sprintf("%s is not an RFC 3339 time (write 2030-01-02T15:04:05Z, with the zone)", text)
	}
	switch v.Kind() {
	case reflect.String:
		if kind != kindText {
			return fmt.Sprintf("%s is a YAML %s, not text: quote it (%q) if the text is meant", text, kindName(kind), text)
		}
	case reflect.Bool:
		if kind != kindBool {
			return fmt.Sprintf("%s is not true or false%s", quotedText(text, quoted), unquoteHint(quoted))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		// A plain decimal too large for the YAML library's integers comes
		// as text or float: parseInt reports it out of range.
		if kind != kindInt && (quoted || !decimal.MatchString(text)) {
			return fmt.Sprintf("%s is not a whole number in decimal%s", quotedText(text, quoted), unquoteHint(quoted))
		}
	case reflect.Float32, reflect.Float64:
		if kind != kindInt && kind != kindFloat {
			return fmt.Sprintf("%s is not a number%s", quotedText(text, quoted), unquoteHint(quoted))
		}
	}
	return ""
}

func kindName(k scalarKind) string {
	switch k {
	case kindInt, kindFloat:
		return "number"
	case kindBool:
		return "boolean"
	}
	return "text"
}

func quotedText(text string, quoted bool) string {
	if quoted {
		return fmt.Sprintf("%q (quoted text)", text)
	}
	return fmt.Sprintf("%q", text)
}

func unquoteHint(quoted bool) string {
	if quoted {
		return ": write it without quotes"
	}
	return ""
}
