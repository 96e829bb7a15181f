// Package settings layers a configuration struct from three sources, in
// order of precedence: command-line flags, then SANDBOX_* environment
// variables, then a YAML file, then the struct's defaults. Every leaf field of
// the struct is one setting, named once by its yaml tag path; the environment
// variable and the flag are derived from that name, so a setting can never
// exist in one source and be missing from another.
//
// A field tagged settings:"file-only" (a list of structured values, such as
// fault rules) is read from the YAML file only: it has no environment
// variable or flag and is not listed.
//
// A field path gitlab.token_lifetime becomes the environment variable
// SANDBOX_GITLAB_TOKEN_LIFETIME and the flag --gitlab-token-lifetime.
//
// No bad value is ignored: every source reads a setting's text the same
// way (see setValue), the YAML file is decoded strictly against the struct
// (see DecodeFile), and every problem of every source is reported at once,
// each with its key and where it came from (file:line:column, variable or
// flag).
package settings

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Setting describes one configurable value.
type Setting struct {
	// Key is the dotted YAML path, e.g. "gitlab.token_lifetime".
	Key string
	// Env is the environment variable that sets it.
	Env string
	// Flag is the command-line flag that sets it, without dashes.
	Flag string
	// Usage is the field's `usage` tag.
	Usage string
	// Default is the value before any source was applied, as text.
	Default string
	// Type is the kind of value, as help shows it: string, int, bool,
	// duration, time or list.
	Type string

	value reflect.Value
}

// Set parses text into the setting's field.
func (s Setting) Set(text string) error {
	if err := setValue(s.value, text); err != nil {
		return fmt.Errorf("%s: %w", s.Key, err)
	}
	return nil
}

// List returns the settings of the struct that dst points to, sorted by key.
func List(dst any, envPrefix string) []Setting {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("settings: List needs a pointer to a struct")
	}
	var out []Setting
	walk(v.Elem(), nil, func(path []string, field reflect.StructField, fv reflect.Value) {
		key := strings.Join(path, ".")
		under := strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		out = append(out, Setting{
			Key:     key,
			Env:     envPrefix + under,
			Flag:    strings.ReplaceAll(strings.ReplaceAll(key, ".", "-"), "_", "-"),
			Usage:   field.Tag.Get("usage"),
			Default: format(fv),
			Type:    typeName(fv.Type()),
			value:   fv,
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// walk calls leaf for every settable leaf field, descending into nested
// structs (time.Time counts as a leaf). Fields without a yaml tag, tagged
// "-", or tagged settings:"file-only" are not settings.
func walk(v reflect.Value, path []string, leaf func([]string, reflect.StructField, reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" || !f.IsExported() || f.Tag.Get("settings") == "file-only" {
			continue
		}
		fv := v.Field(i)
		p := append(append([]string(nil), path...), name)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			walk(fv, p, leaf)
			continue
		}
		leaf(p, f, fv)
	}
}
