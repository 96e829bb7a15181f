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
package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
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

// Loader applies the three sources to one struct.
type Loader struct {
	// EnvPrefix is prepended to every environment variable, e.g. "SANDBOX_".
	EnvPrefix string
	// ConfigFlag is the flag (and, prefixed, the environment variable) that
	// names the YAML file, e.g. "config".
	ConfigFlag string
	// ReadFile reads the YAML file; os.ReadFile in production.
	ReadFile func(string) ([]byte, error)
}

// Load fills dst (a pointer to a struct holding its defaults) from the YAML
// file named by --config or the environment, then the environment, then the
// flags in args. It returns the arguments left after the flags. Usage and
// errors are written to stderr by the flag package's conventions: a
// flag.ErrHelp error means --help was asked for.
func (l Loader) Load(dst any, name string, args []string, getenv func(string) string, stderr io.Writer) ([]string, error) {
	list := List(dst, l.EnvPrefix)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String(l.ConfigFlag, getenv(l.EnvPrefix+strings.ToUpper(l.ConfigFlag)), "YAML configuration file (env "+l.EnvPrefix+strings.ToUpper(l.ConfigFlag)+")")
	pending := map[string]string{}
	for _, s := range list {
		usage := fmt.Sprintf("%s (env %s, default %q)", s.Usage, s.Env, s.Default)
		record := func(text string) error {
			pending[s.Flag] = text
			return nil
		}
		if s.value.Kind() == reflect.Bool {
			fs.BoolFunc(s.Flag, usage, record) // --debug alone means true
		} else {
			fs.Func(s.Flag, usage, record)
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage of %s:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *configPath != "" {
		doc, err := l.ReadFile(*configPath)
		if err != nil {
			return nil, fmt.Errorf("reading config file %s: %w", *configPath, err)
		}
		if err := DecodeYAML(doc, dst); err != nil {
			return nil, fmt.Errorf("config file %s: %w", *configPath, err)
		}
	}
	var errs []error
	for _, s := range list {
		if text, ok := getenvOK(getenv, s.Env); ok {
			if err := s.Set(text); err != nil {
				errs = append(errs, fmt.Errorf("environment %s: %w", s.Env, err))
			}
		}
	}
	for _, s := range list {
		if text, ok := pending[s.Flag]; ok {
			if err := s.Set(text); err != nil {
				errs = append(errs, fmt.Errorf("flag --%s: %w", s.Flag, err))
			}
		}
	}
	return fs.Args(), errors.Join(errs...)
}

func getenvOK(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// DecodeYAML decodes doc into dst strictly: an unknown key or a value of the
// wrong type is an error naming its line and column.
func DecodeYAML(doc []byte, dst any) error {
	if err := yaml.UnmarshalWithOptions(doc, dst, yaml.Strict(), yaml.CustomUnmarshaler(unmarshalDuration)); err != nil {
		return errors.New(yaml.FormatError(err, false, true))
	}
	return nil
}

// unmarshalDuration lets YAML files write durations as Go does ("2s", "30m")
// and also as plain numbers of seconds.
func unmarshalDuration(d *time.Duration, raw []byte) error {
	text := strings.Trim(strings.TrimSpace(string(raw)), `"'`)
	parsed, err := parseDuration(text)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

func parseDuration(text string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(text, 64); err == nil {
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use 90s, 30m, 2h)", text)
	}
	return d, nil
}

var durationType = reflect.TypeOf(time.Duration(0))
var timeType = reflect.TypeOf(time.Time{})

func setValue(v reflect.Value, text string) error {
	switch {
	case v.Type() == durationType:
		d, err := parseDuration(text)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case v.Type() == timeType:
		t, err := time.Parse(time.RFC3339, text)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", text)
		}
		v.Set(reflect.ValueOf(t))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", text)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported list type %s", v.Type())
		}
		parts := strings.Split(text, ",")
		out := reflect.MakeSlice(v.Type(), 0, len(parts))
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = reflect.Append(out, reflect.ValueOf(p).Convert(v.Type().Elem()))
			}
		}
		v.Set(out)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

func format(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	case v.Kind() == reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}
