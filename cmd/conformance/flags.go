package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// options are the command line, parsed.
type options struct {
	target       string
	configFile   string
	scenariosDir string
	labelFilter  string
	list         bool
	junit        string
	json         string
	html         string
	timeout      time.Duration
	probeTimeout time.Duration
	wait         time.Duration
	quiet        bool
}

// defaultTarget is where `make run` starts the sandbox.
const defaultTarget = "http://127.0.0.1:8080"

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "", "base URL of the implementation under test (default "+defaultTarget+", or target: in --config, or CONFORMANCE_TARGET)")
	fs.StringVar(&o.configFile, "config", "", "YAML file with the target's URL, credentials, product and capabilities")
	fs.StringVar(&o.scenariosDir, "scenarios", "", "directory of scenario files (default: the scenarios built into this binary)")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only scenarios whose labels match this Ginkgo label filter, e.g. 'token && !cap:control'")
	fs.BoolVar(&o.list, "list", false, "print every selected scenario (id, labels, requirement) and exit without contacting the target")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&o.json, "json", "", "write a JSON report to this file")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML report (requests and responses, secrets masked) to this file")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on one HTTP request after this long")
	fs.DurationVar(&o.probeTimeout, "probe-timeout", 3*time.Second, "how long the target may take to answer the first request before the run gives up (exit 3)")
	fs.DurationVar(&o.wait, "wait", 0, "keep probing a target that does not answer yet for this long (e.g. 15s right after starting it); 0 probes once")
	fs.BoolVar(&o.quiet, "quiet", false, "print only failures and the summary")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: conformance [flags]\n\nChecks an implementation of the GitLab Marketplace API against the conformance scenarios.\nExit codes: 0 passed, 1 failures, 2 usage or scenario errors, 3 target unreachable.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, nil
}

// loadConfig layers the configuration: file, then CONFORMANCE_* variables,
// then flags.
func loadConfig(o options, getenv func(string) string) (target.Config, error) {
	var cfg target.Config
	if o.configFile != "" {
		data, err := os.ReadFile(o.configFile)
		if err != nil {
			return cfg, err
		}
		if cfg, err = target.ParseConfig(data); err != nil {
			return cfg, fmt.Errorf("%s: %w", o.configFile, err)
		}
	}
	cfg = cfg.ApplyEnv(getenv)
	if o.target != "" {
		cfg.URL = o.target
	}
	if cfg.URL == "" {
		cfg.URL = defaultTarget
	}
	return cfg, nil
}
