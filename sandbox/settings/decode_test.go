package settings_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

type member struct {
	ID     string   `yaml:"id"`
	Scopes []string `yaml:"scopes"`
}

type strict struct {
	Addr    string        `yaml:"addr" usage:"where"`
	Debug   bool          `yaml:"debug" usage:"loud"`
	Count   int           `yaml:"count" usage:"how many"`
	Small   int8          `yaml:"small" usage:"few"`
	Start   time.Time     `yaml:"start" usage:"when"`
	Wait    time.Duration `yaml:"wait" usage:"how long"`
	Inner   inner         `yaml:"inner"`
	Members []member      `yaml:"members" settings:"file-only"`
}

// Validate refuses a negative count, as a real configuration's range
// checks do, and names the key.
func (s strict) Validate() error {
	var errs []error
	if s.Count < 0 {
		errs = append(errs, errors.New("count: must not be negative"))
	}
	for i, m := range s.Members {
		if m.ID == "" {
			errs = append(errs, errors.New("members["+string(rune('0'+i))+"].id is required"))
		}
	}
	return errors.Join(errs...)
}

// TestEveryBadValueInTheFileIsRefusedWithItsKeyAndLine walks the classes
// of bad YAML a settings file can hold: each is refused, naming the line
// (and column) and, where there is one, the key.
func TestEveryBadValueInTheFileIsRefusedWithItsKeyAndLine(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"unparsable time", "addr: x\nstart: yesterday\n", []string{"f.yaml:2:8", "start", "RFC 3339"}},
		{"date without a time", "start: 2030-01-02\n", []string{"f.yaml:1:8", "start", "RFC 3339"}},
		{"time as a number", "start: 20300102\n", []string{"f.yaml:1:8", "start"}},
		{"unparsable duration", "wait: soon\n", []string{"f.yaml:1:7", "wait", "not a duration"}},
		{"duration in days", "wait: 1d\n", []string{"1:7", "wait", "not a duration"}},
		{"duration out of range", "wait: 1000000000h\n", []string{"1:7", "wait", "out of range"}},
		{"seconds out of range", "wait: 99999999999999999\n", []string{"1:7", "wait", "out of range"}},
		{"duration as an exponent", "wait: 1e3\n", []string{"1:7", "wait"}},
		{"duration infinity", "wait: .inf\n", []string{"1:7", "wait"}},
		{"wrong type: text for a number", "count: many\n", []string{"1:8", "count", "whole number"}},
		{"coerced: quoted number", "count: \"12\"\n", []string{"1:8", "count", "without quotes"}},
		{"coerced: fraction for a whole number", "count: 1.5\n", []string{"1:8", "count", "whole number"}},
		{"coerced: exponent for a whole number", "count: 1e3\n", []string{"1:8", "count"}},
		{"coerced: octal", "count: 0o17\n", []string{"1:8", "count", "decimal"}},
		{"coerced: leading zero", "count: 017\n", []string{"1:8", "count", "decimal"}},
		{"coerced: hex", "count: 0x10\n", []string{"1:8", "count", "decimal"}},
		{"coerced: number for text", "addr: 8080\n", []string{"1:7", "addr", "quote it"}},
		{"coerced: boolean for text", "addr: true\n", []string{"1:7", "addr", "quote it"}},
		{"coerced: yes for a boolean", "debug: yes\n", []string{"1:8", "debug", "true or false"}},
		{"coerced: quoted boolean", "debug: 'true'\n", []string{"1:8", "debug", "without quotes"}},
		{"coerced: 1 for a boolean", "debug: 1\n", []string{"1:8", "debug", "true or false"}},
		{"out of range for int8", "small: 300\n", []string{"1:8", "small", "out of range"}},
		{"out of range for int64", "count: 99999999999999999999\n", []string{"1:8", "count", "out of range"}},
		{"unknown key", "adr: x\n", []string{"1:1", "adr", "did you mean addr"}},
		{"unknown key, other case", "Addr: x\n", []string{"1:1", "Addr", "did you mean addr"}},
		{"unknown nested key", "inner:\n  lifetim: 3s\n", []string{"2:3", "lifetim", "in inner"}},
		{"unknown key in a list item", "members:\n  - id: a\n    scope: [x]\n", []string{"3:5", "scope", "members[0]"}},
		{"duplicated key", "addr: a\ncount: 1\naddr: b\n", []string{"3:1", "addr", "already defined"}},
		{"duplicated nested key", "inner:\n  profile: a\n  profile: b\n", []string{"3:3", "profile"}},
		{"null", "addr:\n", []string{"1:", "addr", "no value"}},
		{"explicit null", "wait: ~\n", []string{"1:7", "wait", "no value"}},
		{"null section", "inner:\n", []string{"1:", "inner", "no value"}},
		{"scalar for a section", "inner: 3\n", []string{"1:8", "inner", "mapping"}},
		{"list for a value", "addr: [a]\n", []string{"1:7", "addr", "single value"}},
		{"scalar for a list", "members: a\n", []string{"1:10", "members", "list"}},
		{"empty file", "", []string{"f.yaml", "empty"}},
		{"comments only", "# nothing\n", []string{"f.yaml", "empty"}},
		{"a list, not a mapping", "- addr: x\n", []string{"f.yaml:1:1", "mapping"}},
		{"a scalar, not a mapping", "addr\n", []string{"f.yaml:1:1", "mapping"}},
		{"two documents", "addr: x\n---\ncount: 2\n", []string{"f.yaml:3:", "second YAML document"}},
		{"not YAML", "addr: [x\n", []string{"f.yaml:", "not valid YAML"}},
		{"tab indentation", "inner:\n\tprofile: x\n", []string{"f.yaml:2:", "not valid YAML"}},
		{"merge key", "inner: &i {profile: x}\n<<: *i\n", []string{"2:1", "merge keys"}},
		{"alias to nothing", "addr: *nope\n", []string{"1:7", "addr"}},
		{"out of range after decoding", "addr: x\n\ncount: -1\n", []string{"f.yaml:3:1", "count", "negative"}},
		{"missing field in a list item", "members:\n  - scopes: [a]\n", []string{"f.yaml:2:5", "members[0].id is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg strict
			_, err := loader(map[string]string{"f.yaml": tc.doc}).Load(&cfg, []string{"--config", "f.yaml"}, env(nil))
			if err == nil {
				t.Fatalf("accepted; cfg %+v", cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEveryProblemOfTheFileIsReportedAtOnce(t *testing.T) {
	doc := "addr: 1\ncount: many\ninner:\n  lifetim: 3s\n  lifetime: soon\nstart: yesterday\n"
	var cfg strict
	_, err := loader(map[string]string{"f.yaml": doc}).Load(&cfg, []string{"--config", "f.yaml"}, env(map[string]string{"APP_WAIT": "x"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{"f.yaml:1:7: addr", "f.yaml:2:8: count", "f.yaml:4:3: unknown key \"lifetim\"", "f.yaml:5:13: inner.lifetime", "f.yaml:6:8: start", "environment APP_WAIT"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not report %q:\n%s", w, err)
		}
	}
}

func TestGoodFileValuesAreRead(t *testing.T) {
	doc := "addr: ':8080'\ndebug: True\ncount: -0\nsmall: 127\nstart: 2030-01-02T03:04:05.5+01:00\nwait: 1.5\n" +
		"inner: {lifetime: 1h30m, profile: !!str 0123}\nmembers:\n  - &m {id: a, scopes: [x, y]}\n  - *m\n"
	var cfg strict
	if _, err := loader(map[string]string{"f.yaml": doc}).Load(&cfg, []string{"--config", "f.yaml"}, env(nil)); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || !cfg.Debug || cfg.Small != 127 || cfg.Wait != 1500*time.Millisecond ||
		cfg.Start.Unix() != time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC).Unix() || cfg.Inner.Lifetime != 90*time.Minute ||
		cfg.Inner.Profile != "0123" || len(cfg.Members) != 2 || cfg.Members[1].Scopes[1] != "y" {
		t.Errorf("%+v", cfg)
	}
	if _, err := loader(map[string]string{"f.yaml": "{}"}).Load(&strict{}, []string{"--config", "f.yaml"}, env(nil)); err != nil {
		t.Errorf("{} refused: %v", err)
	}
}

// TestEveryBadValueInTheEnvironmentAndFlagsIsRefused: the same text
// reading applies to variables and flags, and each problem names the
// variable or flag and the key.
func TestEveryBadValueInTheEnvironmentAndFlagsIsRefused(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad time in the environment", nil, map[string]string{"APP_START": "yesterday"}, []string{"environment APP_START", "start", "RFC 3339"}},
		{"empty duration in the environment", nil, map[string]string{"APP_WAIT": ""}, []string{"environment APP_WAIT", "wait"}},
		{"yes for a boolean", nil, map[string]string{"APP_DEBUG": "yes"}, []string{"APP_DEBUG", "true or false"}},
		{"1 for a boolean", []string{"--debug=1"}, nil, []string{"--debug", "true or false"}},
		{"hex number", nil, map[string]string{"APP_COUNT": "0x10"}, []string{"APP_COUNT", "decimal"}},
		{"padded number", nil, map[string]string{"APP_COUNT": " 7"}, []string{"APP_COUNT", "decimal"}},
		{"out of range", []string{"--small", "128"}, nil, []string{"--small", "small", "out of range"}},
		{"NaN seconds", []string{"--wait", "NaN"}, nil, []string{"--wait", "not a duration"}},
		{"flag given twice", []string{"--addr", "a", "--addr", "b"}, nil, []string{"--addr", "more than once"}},
		{"unknown flag", []string{"--adr", "a"}, nil, []string{"unknown flag --adr", "did you mean --addr"}},
		{"range check names the variable", nil, map[string]string{"APP_COUNT": "-3"}, []string{"environment APP_COUNT: count: must not be negative"}},
		{"range check names the flag", []string{"--count=-3"}, nil, []string{"flag --count: count: must not be negative"}},
		{"all at once", []string{"--wait", "x"}, map[string]string{"APP_DEBUG": "maybe", "APP_COUNT": "z"}, []string{"APP_DEBUG", "APP_COUNT", "--wait"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg strict
			_, err := loader(nil).Load(&cfg, tc.args, env(tc.env))
			if err == nil {
				t.Fatalf("accepted; cfg %+v", cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestUnknownPrefixedVariablesAreListedWithTheClosestKnown(t *testing.T) {
	var cfg strict
	l := loader(nil)
	l.OtherEnv = []string{"APP_IMAGE"}
	got, err := l.Load(&cfg, nil, env(map[string]string{
		"APP_ADR": "x", "APP_MEMBERS": "a", "APP_IMAGE": "i", "APP_SERVICE_HOST": "10.0.0.1", "APP_PORT_8080_TCP": "tcp://x", "OTHER": "y", "APP_ADDR": "ok",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, u := range got.Unknown {
		lines = append(lines, u.String())
	}
	want := "APP_ADR is not a setting (closest known: APP_ADDR)|APP_MEMBERS is not read: that setting is set in the YAML config file only"
	if strings.Join(lines, "|") != want {
		t.Errorf("unknown:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}

func TestClosest(t *testing.T) {
	for _, tc := range []struct{ name, want string }{{"adr", "addr"}, {"COUNT", "count"}, {"zzzzzzzzzz", ""}} {
		if got := settings.Closest(tc.name, []string{"addr", "count", "debug"}); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
