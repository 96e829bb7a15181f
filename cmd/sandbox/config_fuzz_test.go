package main

import (
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// placedConfig is what every line of a refused config file must start
// with: the file with a line and column, the file with a key, or a key.
var placedConfig = regexp.MustCompile(`^(c\.yaml:[0-9]+:[0-9]+: |c\.yaml: [A-Za-z_][A-Za-z0-9_.\[\]]*[: ]|[A-Za-z_][A-Za-z0-9_.\[\]]*[: ])`)

// FuzzConfigFile feeds arbitrary bytes to the sandbox's own configuration
// loading as its YAML file (decoding and validation): it never panics,
// and every problem names its line or its key.
func FuzzConfigFile(f *testing.F) {
	for _, seed := range []string{"", "{}", "clock: frozen\nclock_start: yesterday\n", "gitlab:\n  zuora:\n    latency: 1d\n",
		"faults:\n  - match: {}\n    effect: {status: 503}\n    when: now\n", "gitlab:\n  scripts:\n    - callout: { auth: basic }\n",
		"journal: {body_bytes: 1048576}\n", "addr: &a x\nlog_level: *a\n", "a: 1\n---\nb: 2\n", "- 1\n", "gc_percent: 1e3\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		l := loader
		l.ReadFile = func(string) ([]byte, error) { return doc, nil }
		cfg := sandbox.DefaultConfig()
		_, err := l.Load(&cfg, []string{"--config", "c.yaml"}, settings.Environment{})
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !placedConfig.MatchString(line) {
				t.Errorf("a problem without line or key: %q\nin %q", line, doc)
			}
		}
	})
}
