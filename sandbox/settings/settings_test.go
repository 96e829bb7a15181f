package settings_test

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

type inner struct {
	Lifetime time.Duration `yaml:"lifetime" usage:"how long"`
	Profile  string        `yaml:"profile" usage:"which"`
}

type config struct {
	Addr  string    `yaml:"addr" usage:"where"`
	Debug bool      `yaml:"debug" usage:"loud"`
	Count int       `yaml:"count" usage:"how many"`
	Start time.Time `yaml:"start" usage:"when"`
	Tags  []string  `yaml:"tags" usage:"labels"`
	Inner inner     `yaml:"inner"`
	Skip  string    // no yaml tag: not a setting
}

func loader(files map[string]string) settings.Loader {
	return settings.Loader{EnvPrefix: "APP_", ConfigFlag: "config", ReadFile: func(name string) ([]byte, error) {
		doc, ok := files[name]
		if !ok {
			return nil, os.ErrNotExist
		}
		return []byte(doc), nil
	}}
}

func env(m map[string]string) settings.Environment { return settings.Environment(m) }

func TestFlagsBeatEnvironmentBeatFileBeatDefaults(t *testing.T) {
	cfg := config{Addr: "default", Count: 1, Inner: inner{Profile: "default", Lifetime: time.Hour}}
	files := map[string]string{"c.yaml": "addr: file\ncount: 2\ninner:\n  lifetime: 90s\n  profile: file\ntags: [a, b]\n"}
	_, err := loader(files).Load(&cfg, []string{"--config", "c.yaml", "--inner-profile", "flag", "--debug"},
		env(map[string]string{"APP_COUNT": "3", "APP_INNER_PROFILE": "env", "APP_START": "2030-01-02T03:04:05Z"}))
	if err != nil {
		t.Fatal(err)
	}
	want := config{Addr: "file", Debug: true, Count: 3, Start: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Tags: []string{"a", "b"}, Inner: inner{Lifetime: 90 * time.Second, Profile: "flag"}}
	if cfg.Addr != want.Addr || cfg.Debug != want.Debug || cfg.Count != want.Count || !cfg.Start.Equal(want.Start) ||
		strings.Join(cfg.Tags, ",") != "a,b" || cfg.Inner != want.Inner {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigFileNamedByTheEnvironment(t *testing.T) {
	var cfg config
	files := map[string]string{"e.yaml": "addr: from-env-file\n"}
	if _, err := loader(files).Load(&cfg, nil, env(map[string]string{"APP_CONFIG": "e.yaml"})); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "from-env-file" {
		t.Errorf("addr %q", cfg.Addr)
	}
}

func TestErrorsNameTheSourceAndTheSetting(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		env   map[string]string
		want  []string
	}{
		{"unknown key in the file, with its line", map[string]string{"c.yaml": "addr: x\ninner:\n  lifetim: 3s\n"}, []string{"--config", "c.yaml"}, nil, []string{"c.yaml:3:3", "lifetim", "did you mean lifetime"}},
		{"wrong type in the file", map[string]string{"c.yaml": "count: many\n"}, []string{"--config", "c.yaml"}, nil, []string{"c.yaml", "count"}},
		{"bad duration in the file", map[string]string{"c.yaml": "inner:\n  lifetime: soon\n"}, []string{"--config", "c.yaml"}, nil, []string{"soon", "duration"}},
		{"missing file", nil, []string{"--config", "nope.yaml"}, nil, []string{"nope.yaml"}},
		{"bad environment value", nil, nil, map[string]string{"APP_DEBUG": "maybe"}, []string{"APP_DEBUG", "debug"}},
		{"bad flag value", nil, []string{"--count", "x"}, nil, []string{"--count", "count"}},
		{"bad time", nil, []string{"--start", "yesterday"}, nil, []string{"RFC 3339"}},
		{"two bad values are both reported", nil, []string{"--count", "x"}, map[string]string{"APP_DEBUG": "maybe"}, []string{"APP_DEBUG", "--count"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg config
			_, err := loader(tc.files).Load(&cfg, tc.args, env(tc.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestUnknownFlagAndHelp(t *testing.T) {
	var cfg config
	if _, err := loader(nil).Load(&cfg, []string{"--nope"}, env(nil)); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := loader(nil).Load(&cfg, []string{"--help"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

func TestListDerivesEnvironmentAndFlagNames(t *testing.T) {
	var cfg config
	list := settings.List(&cfg, "APP_")
	var got []string
	for _, s := range list {
		got = append(got, s.Key+"="+s.Env+"="+s.Flag)
	}
	want := "addr=APP_ADDR=addr count=APP_COUNT=count debug=APP_DEBUG=debug inner.lifetime=APP_INNER_LIFETIME=inner-lifetime " +
		"inner.profile=APP_INNER_PROFILE=inner-profile start=APP_START=start tags=APP_TAGS=tags"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

type withRules struct {
	Addr  string `yaml:"addr" usage:"where"`
	Rules []rule `yaml:"rules" settings:"file-only"`
}

type rule struct {
	Name string `yaml:"name"`
}

func TestFileOnlyFieldsComeFromTheFileAlone(t *testing.T) {
	cfg := withRules{Addr: "default"}
	if list := settings.List(&cfg, "APP_"); len(list) != 1 || list[0].Key != "addr" {
		t.Fatalf("List = %+v, want addr only", list)
	}
	files := map[string]string{"c.yaml": "rules:\n  - name: a\n  - name: b\n"}
	_, err := loader(files).Load(&cfg, []string{"--config", "c.yaml"}, env(map[string]string{"APP_RULES": "x"}))
	if err != nil || len(cfg.Rules) != 2 || cfg.Rules[1].Name != "b" {
		t.Fatalf("err %v, rules %+v", err, cfg.Rules)
	}
	if _, err := loader(nil).Load(&cfg, []string{"--rules", "x"}, env(nil)); err == nil {
		t.Error("a file-only field got a flag")
	}
}
