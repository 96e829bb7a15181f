package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Environment is the process environment as a map, so that a loader can
// both read a variable and list those that name no setting (a getenv
// function can do only the first).
type Environment map[string]string

// Environ turns os.Environ's KEY=value list into an Environment.
func Environ(kv []string) Environment {
	env := Environment{}
	for _, e := range kv {
		if k, v, ok := strings.Cut(e, "="); ok {
			env[k] = v
		}
	}
	return env
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
	// OtherEnv are variables with the prefix that are not settings but are
	// read by something else, so not reported as unknown.
	OtherEnv []string
}

// Loaded is what a Load found besides the settings.
type Loaded struct {
	// Args are the arguments left after the flags.
	Args []string
	// Unknown are the environment variables with the prefix that name no
	// setting: the caller warns about them or refuses them.
	Unknown []UnknownVariable
}

// UnknownVariable is an environment variable with the settings' prefix that
// names no setting, most likely a misspelt one.
type UnknownVariable struct {
	Name string
	// Closest is the known variable nearest to Name.
	Closest string
	// FileOnly is set when Name would be a setting that can only be
	// written in the YAML file (a list of structures such as fault rules).
	FileOnly bool
}

func (u UnknownVariable) String() string {
	if u.FileOnly {
		return fmt.Sprintf("%s is not read: that setting is set in the YAML config file only", u.Name)
	}
	return fmt.Sprintf("%s is not a setting (closest known: %s)", u.Name, u.Closest)
}

// Validator is a configuration that checks itself once all sources are in,
// reporting every problem as "key: message" errors joined.
type Validator interface{ Validate() error }

// ConfigEnv is the environment variable that names the YAML file.
func (l Loader) ConfigEnv() string { return l.EnvPrefix + strings.ToUpper(l.ConfigFlag) }

// Load fills dst (a pointer to a struct holding its defaults) from the YAML
// file named by --config or the environment, then the environment, then the
// flags in args, then, if dst is a Validator, validates it. Every problem
// of every source comes back in one error, one line each, naming the key
// and where its value came from. --help gives flag.ErrHelp; nothing is
// printed (see List for a help text).
func (l Loader) Load(dst any, args []string, env Environment) (Loaded, error) {
	list := List(dst, l.EnvPrefix)
	flags, rest, err := l.parseFlags(list, args)
	if err != nil {
		return Loaded{}, err
	}
	o := &origins{by: map[string]string{}}
	var errs []error
	if err := l.loadFile(dst, flags, env, o); err != nil {
		errs = append(errs, err)
	}
	for _, s := range list {
		if text, ok := env[s.Env]; ok {
			o.by[s.Key] = "environment " + s.Env
			if err := s.Set(text); err != nil {
				errs = append(errs, fmt.Errorf("environment %s: %w", s.Env, err))
			}
		}
	}
	for _, f := range flags {
		if !f.setting.value.IsValid() {
			continue // --config, read above
		}
		o.by[f.setting.Key] = "flag --" + f.setting.Flag
		if err := f.setting.Set(f.text); err != nil {
			errs = append(errs, fmt.Errorf("flag --%s: %w", f.setting.Flag, err))
		}
	}
	if v, ok := dst.(Validator); ok {
		errs = append(errs, o.explain(v.Validate())...)
	}
	return Loaded{Args: rest, Unknown: l.unknown(dst, list, env)}, errors.Join(errs...)
}

// flagValue is one flag as given, applied after the file and environment.
type flagValue struct {
	setting Setting
	text    string
}

// parseFlags reads args into flag values in order, refusing a flag given
// twice (which value was meant?) and naming the closest flag for one that
// does not exist.
func (l Loader) parseFlags(list []Setting, args []string) ([]flagValue, []string, error) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var values []flagValue
	var twice []string
	seen := map[string]bool{}
	add := func(s Setting) func(string) error {
		return func(text string) error {
			if seen[s.Flag] {
				twice = append(twice, "--"+s.Flag)
			}
			seen[s.Flag] = true
			values = append(values, flagValue{s, text})
			return nil
		}
	}
	config := Setting{Key: l.ConfigFlag, Flag: l.ConfigFlag}
	fs.Func(l.ConfigFlag, "", add(config))
	names := []string{l.ConfigFlag}
	for _, s := range list {
		names = append(names, s.Flag)
		if s.Type == "bool" {
			fs.BoolFunc(s.Flag, "", add(s)) // --magic-values alone means true
		} else {
			fs.Func(s.Flag, "", add(s))
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, flagError(err, names)
	}
	if len(twice) > 0 {
		return nil, nil, fmt.Errorf("flag %s given more than once", strings.Join(twice, ", "))
	}
	return values, fs.Args(), nil
}

// flagError rephrases the flag package's errors, naming the closest flag.
func flagError(err error, names []string) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	const undefined = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), undefined); ok {
		msg := fmt.Sprintf("unknown flag --%s", name)
		if c := Closest(name, names); c != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", c)
		}
		return errors.New(msg)
	}
	return err
}

// loadFile decodes the YAML file named by the flag or the environment.
func (l Loader) loadFile(dst any, flags []flagValue, env Environment, o *origins) error {
	path := env[l.ConfigEnv()]
	for _, f := range flags {
		if !f.setting.value.IsValid() {
			path = f.text
		}
	}
	if path == "" {
		return nil
	}
	doc, err := l.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config file %s: %w", path, err)
	}
	places, err := DecodeFile(path, doc, dst)
	o.file = places
	return err
}

// unknown lists the prefixed environment variables that name no setting.
func (l Loader) unknown(dst any, list []Setting, env Environment) []UnknownVariable {
	known := map[string]bool{l.ConfigEnv(): true}
	names := []string{l.ConfigEnv()}
	for _, s := range list {
		known[s.Env] = true
		names = append(names, s.Env)
	}
	for _, e := range l.OtherEnv {
		known[e] = true
	}
	fileOnly := fileOnlyEnv(dst, l.EnvPrefix)
	var out []UnknownVariable
	for name := range env {
		if !strings.HasPrefix(name, l.EnvPrefix) || known[name] || isServiceLink(strings.TrimPrefix(name, l.EnvPrefix)) {
			continue
		}
		closest, _ := Nearest(name, names)
		out = append(out, UnknownVariable{Name: name, Closest: closest, FileOnly: fileOnly[name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// fileOnlyEnv are the variable names file-only settings would have.
func fileOnlyEnv(dst any, prefix string) map[string]bool {
	out := map[string]bool{}
	var visit func(t reflect.Type, path []string)
	visit = func(t reflect.Type, path []string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			p := append(append([]string(nil), path...), name)
			switch {
			case f.Tag.Get("settings") == "file-only":
				out[prefix+strings.ToUpper(strings.Join(p, "_"))] = true
			case f.Type.Kind() == reflect.Struct && f.Type != timeType:
				visit(f.Type, p)
			}
		}
	}
	visit(reflect.TypeOf(dst).Elem(), nil)
	return out
}
