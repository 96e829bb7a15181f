package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// options are the command line, parsed.
type options struct {
	target       string
	configFile   string
	scenariosDir string
	labelFilter  string
	ids          idList
	list         bool
	junit        string
	json         string
	html         string
	timeout      time.Duration
	probeTimeout time.Duration
	wait         time.Duration
	quiet        bool
	// webhookListen is where the webhook receiver listens ("off": none);
	// webhookURL the address the target must call instead, when given.
	webhookListen string
	webhookURL    string
	// profile selects the expectation of steps that state two.
	profile string
	// apis, when given, are the APIs checked (default: those the target
	// is configured or discovered for).
	apis idList
	// controlToken is the sandbox's control_token, for the control API's
	// requests only (CONFORMANCE_CONTROL_TOKEN, or controlToken in
	// --config, otherwise).
	controlToken string
	// allowAllSkipped and allowEmpty turn a run that checked nothing into
	// a pass: only on purpose, never by default.
	allowAllSkipped bool
	allowEmpty      bool
}

// defaultTarget is where `make run` starts the sandbox.
const defaultTarget = "http://127.0.0.1:8080"

// idList is --id: repeatable, and each value may list ids separated by
// commas.
type idList []string

func (l *idList) String() string { return strings.Join(*l, ",") }

func (l *idList) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		*l = append(*l, strings.TrimSpace(id))
	}
	return nil
}

// once refuses a flag given twice: with the standard flag package the last
// one silently wins, and `--target a … --target b` is a mistake, not an
// override. It also refuses an empty value for a string flag.
type once struct {
	flag.Value
	name string
	seen bool
	// repeatable marks list flags.
	repeatable bool
}

func (o *once) Set(v string) error {
	if o.seen && !o.repeatable {
		return fmt.Errorf("given more than once (once is enough)")
	}
	o.seen = true
	if strings.TrimSpace(v) == "" {
		return errors.New("empty value")
	}
	return o.Value.Set(v)
}

// IsBoolFlag keeps --quiet (without a value) working through the wrapper.
func (o *once) IsBoolFlag() bool {
	b, ok := o.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "", "base URL of the implementation under test (default "+defaultTarget+", or target: in --config, or CONFORMANCE_TARGET)")
	fs.StringVar(&o.configFile, "config", "", "YAML file with the target's URL, credentials, product and capabilities")
	fs.StringVar(&o.scenariosDir, "scenarios", "", "directory of scenario files (default: the scenarios built into this binary)")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only scenarios whose labels match this Ginkgo label filter, e.g. 'token && !cap:control'; every label named must exist")
	fs.Var(&o.apis, "api", "check these APIs only: gitlab, microsoft (comma separated; default: every API the target is configured or discovered for)")
	fs.Var(&o.ids, "id", "run only these scenarios: an id, or a data-driven family's id for all its cases; repeatable, or comma separated")
	fs.BoolVar(&o.list, "list", false, "print every selected scenario (id, labels, requirement) and exit without contacting the target")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&o.json, "json", "", "write a JSON report to this file")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML report (failures first, requests and responses as sent, secrets masked) to this file")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on one HTTP request after this long (> 0)")
	fs.DurationVar(&o.probeTimeout, "probe-timeout", 3*time.Second, "how long the target may take to answer the first request before the run gives up (exit 3; > 0)")
	fs.DurationVar(&o.wait, "wait", 0, "keep probing a target that does not answer yet for this long (e.g. 15s right after starting it); 0 probes once")
	fs.BoolVar(&o.quiet, "quiet", false, "print only failures and the summary")
	fs.StringVar(&o.webhookListen, "webhook-listen", "127.0.0.1:0", "where the harness's webhook receiver listens (host:port, port 0 picks one; off: no receiver, webhook scenarios are skipped)")
	fs.StringVar(&o.webhookURL, "webhook-url", "", "the receiver's address as the target must call it, when the target cannot reach --webhook-listen as written (a container: http://conformance:9000/)")
	fs.StringVar(&o.profile, "profile", engine.ProfileDocs, "which expectation judges Microsoft steps that state two: docs (Microsoft's pages) or observed (what the live service was seen to do)")
	fs.StringVar(&o.controlToken, "control-token", "", "the sandbox's control_token, sent as a Bearer token with control API requests only, never with the marketplace API's (or CONFORMANCE_CONTROL_TOKEN, or controlToken in --config)")
	fs.BoolVar(&o.allowAllSkipped, "allow-all-skipped", false, "exit 0 when every selected scenario was skipped (default: exit 2, nothing was checked)")
	fs.BoolVar(&o.allowEmpty, "allow-empty", false, "exit 0 when the filters select no scenario (default: exit 2)")
	fs.VisitAll(func(f *flag.Flag) { f.Value = &once{Value: f.Value, name: f.Name, repeatable: f.Name == "id"} })
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: conformance [flags]\n\nChecks an implementation of GitLab's Marketplace API or Microsoft's SaaS Fulfillment and Metering APIs\nagainst the conformance scenarios.\n"+
			"Exit codes: 0 passed, 1 failures, 2 usage, configuration or scenario errors, or nothing checked\n"+
			"(every scenario skipped, none selected, run interrupted), 3 target unreachable.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, o.check()
}

// check refuses values no run can use: a timeout of zero (no timeout at
// all in Go's HTTP client: a hanging target would hang the gate), negative
// durations, one report file for two formats, and a report directory that
// does not exist (found before the run, not after it).
func (o options) check() error {
	var problems []error
	for _, d := range []struct {
		name string
		v    time.Duration
		zero bool
	}{{"timeout", o.timeout, false}, {"probe-timeout", o.probeTimeout, false}, {"wait", o.wait, true}} {
		if d.v < 0 || (d.v == 0 && !d.zero) {
			problems = append(problems, fmt.Errorf("--%s %s: want a duration above 0", d.name, d.v))
		}
	}
	for _, a := range o.apis {
		if !slices.Contains(scenario.APIs(), a) {
			problems = append(problems, fmt.Errorf("--api: %w", &scenario.UnknownNameError{What: "API", Name: a, Known: scenario.APIs()}))
		}
	}
	if !slices.Contains(engine.Profiles(), o.profile) {
		problems = append(problems, fmt.Errorf("--profile: %w", &scenario.UnknownNameError{What: "profile", Name: o.profile, Known: engine.Profiles()}))
	}
	if o.webhookListen != "off" {
		if _, _, err := net.SplitHostPort(o.webhookListen); err != nil {
			problems = append(problems, fmt.Errorf("--webhook-listen %q: want host:port (port 0 picks one) or off: %v", o.webhookListen, err))
		}
	} else if o.webhookURL != "" {
		problems = append(problems, errors.New("--webhook-url names the receiver's address, but --webhook-listen off runs none"))
	}
	if o.webhookURL != "" {
		if u, err := url.Parse(o.webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Errorf("--webhook-url %q: want an http(s) URL", o.webhookURL))
		}
	}
	seen := map[string]string{}
	for _, r := range []struct{ flag, path string }{{"junit", o.junit}, {"json", o.json}, {"html", o.html}} {
		if r.path == "" {
			continue
		}
		abs, _ := filepath.Abs(r.path)
		if prev, ok := seen[abs]; ok {
			problems = append(problems, fmt.Errorf("--%s and --%s name the same file %s", prev, r.flag, r.path))
		}
		seen[abs] = r.flag
		if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
			problems = append(problems, fmt.Errorf("--%s %s: directory %s does not exist", r.flag, r.path, filepath.Dir(r.path)))
		}
	}
	return errors.Join(problems...)
}

// loadConfig layers the configuration: file, then CONFORMANCE_* variables,
// then flags. Every layer is checked, so --list fails on a broken
// configuration as a run would.
func loadConfig(o options, environ []string) (target.Config, error) {
	if err := target.CheckEnv(environ); err != nil {
		return target.Config{}, err
	}
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
	cfg, err := cfg.ApplyEnv(lookup(environ))
	if err != nil {
		return cfg, err
	}
	if o.target != "" {
		cfg.URL = o.target
	}
	if o.controlToken != "" {
		cfg.ControlToken = o.controlToken
	}
	if cfg.URL == "" {
		cfg.URL = defaultTarget
	}
	return cfg, nil
}

// lookup is os.Getenv over a KEY=VALUE list; the last value of a key wins,
// as in the process environment.
func lookup(environ []string) func(string) string {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return func(k string) string { return env[k] }
}
