package sandbox

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/retention"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// Config is the sandbox's whole configuration: one struct, loaded once from
// a YAML file, then SANDBOX_* environment variables, then flags (see
// package settings). Every field is documented in the README.
type Config struct {
	Addr        string        `yaml:"addr" usage:"address to listen on"`
	LogFormat   string        `yaml:"log_format" usage:"log format: text or json"`
	LogLevel    string        `yaml:"log_level" usage:"log level: debug, info, warn or error"`
	Fixtures    string        `yaml:"fixtures" usage:"YAML file of partners and catalogue (default: the embedded fixtures)"`
	Clock       clock.Mode    `yaml:"clock" usage:"clock mode: real (wall clock plus offset) or frozen (moves only when advanced)"`
	ClockStart  time.Time     `yaml:"clock_start" usage:"RFC 3339 time a frozen clock starts at (default: now)"`
	ClockOffset time.Duration `yaml:"clock_offset" usage:"how far a real clock starts ahead of the wall clock"`
	GCPercent   int           `yaml:"gc_percent" usage:"Go garbage-collector target for the sandbox binary (what GOGC sets; GOGC, when set, wins): higher trades memory for throughput"`
	MemoryLimit int64         `yaml:"memory_limit" usage:"soft memory limit of the sandbox binary in bytes, raised to what gc_percent asks once the live heap needs more (GOMEMLIMIT, when set, wins; 0: none)"`
	// Marketplaces are the marketplaces served, by name; requests for one
	// that is not served are answered 404 in the sandbox's own envelope.
	Marketplaces []string           `yaml:"marketplaces" usage:"marketplaces to serve, comma-separated: gitlab, microsoft"`
	GitLab       gitlab.Settings    `yaml:"gitlab"`
	Microsoft    microsoft.Settings `yaml:"microsoft"`
	// TLS says whether and how the sandbox serves HTTPS (package tlscert;
	// cmd/sandbox builds the listener from it).
	TLS tlscert.Settings `yaml:"tls"`
	// FaultSeed seeds every fault rule's random source (0: pick one).
	FaultSeed    int64         `yaml:"fault_seed" usage:"seed of the fault rules' random sources (0: pick one at start; it is logged and shown by GET /_sandbox/faults)"`
	FaultMaxHang time.Duration `yaml:"fault_max_hang" usage:"longest real time a hang fault (or a fault's latency) holds a request when the client does not give up first"`
	// Faults are the rules active at start and restored by reset; being a
	// list of structures, they can only be set in the YAML file.
	Faults  fault.Rules      `yaml:"faults" settings:"file-only"`
	Journal journal.Settings `yaml:"journal"`
	// Retention bounds what a long-lived sandbox keeps of final records.
	Retention retention.Policy `yaml:"retention"`
	// Sessions bound the certification sessions (isolated workspaces).
	Sessions SessionSettings `yaml:"sessions"`
	// ShutdownGrace is how long a requested shutdown (SIGTERM, Ctrl-C)
	// waits for requests in flight before closing their connections; the
	// exit is clean either way.
	// WriteTimeout bounds how long one request may take to be answered
	// and written, so that a client that never reads a large answer does
	// not hold its memory for ever; it must outlast the longest hang a
	// fault rule may make.
	WriteTimeout  time.Duration `yaml:"write_timeout" usage:"longest time from the end of a request's headers to the end of its answer; a client still not done reading is disconnected (0: fault_max_hang plus a minute; else more than fault_max_hang)"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace" usage:"on SIGTERM or Ctrl-C, how long requests in flight may finish before their connections are closed (the exit status is 0 either way; 0s: close at once)"`
	// UnknownEnv says what a SANDBOX_* variable that names no setting
	// does: a warning by default, because orchestrators define such
	// variables themselves (Kubernetes' SANDBOX_SERVICE_HOST for a service
	// named sandbox is known and skipped, but others exist); error for CI
	// that wants a misspelling to stop the start.
	UnknownEnv string `yaml:"unknown_env" usage:"a SANDBOX_* environment variable that names no setting: warn (log a warning naming the closest setting, and go on) or error (refuse to start)"`
	// The control API's guard (controlguard.go, docs/control-security.md):
	// a token that every /_sandbox route but health needs, the start-up
	// refusal it lifts, and the hosts a request without one may name.
	ControlToken     string   `yaml:"control_token" usage:"Bearer token every /_sandbox route but /_sandbox/health needs (at least 16 visible ASCII characters; empty: no token)"`
	ControlTokenFile string   `yaml:"control_token_file" usage:"file holding the control token (a Docker or Kubernetes secret; one trailing newline is ignored); instead of control_token"`
	ControlOpen      bool     `yaml:"control_open" usage:"listen on a non-loopback address without a control token, on purpose (anyone who reaches the port may reset the sandbox, move its clock or inject faults)"`
	ControlHosts     []string `yaml:"control_hosts" usage:"Host names the control API answers without a token besides localhost, *.localhost, IP literals, single-label names and the addr host, comma-separated (*.example.com for a domain's names; * for any: no DNS-rebinding check)"`
	// CORS lets browser clients of the marketplace APIs call them from
	// other origins; off by default, never for /_sandbox (cors.go).
	CORS CORSSettings `yaml:"cors"`
}

// Unknown-variable policies.
const (
	UnknownEnvWarn  = "warn"
	UnknownEnvError = "error"
)

// DefaultConfig is the configuration the sandbox starts with.
func DefaultConfig() Config {
	return Config{
		Addr:      "127.0.0.1:8080",
		LogFormat: "text",
		LogLevel:  "info",
		Clock:     clock.ModeReal,
		GCPercent: 200,
		// 24 MiB of Go memory keeps the process under 40 MiB of RSS under
		// load with the default journal (BENCHMARKS.md).
		MemoryLimit:  24 << 20,
		Marketplaces: []string{"gitlab", "microsoft"},
		GitLab:       gitlab.DefaultSettings(),
		Microsoft:    microsoft.DefaultSettings(),
		FaultMaxHang: fault.DefaultMaxHang,
		Journal:      journal.DefaultSettings(),
		Sessions:     DefaultSessionSettings(),
		// Docker's stop waits 10s before SIGKILL: 5s of grace leaves time
		// to close connections and exit 0.
		ShutdownGrace: 5 * time.Second,
		UnknownEnv:    UnknownEnvWarn,
		CORS:          DefaultCORSSettings(),
	}
}

// AnswerTimeout is the write_timeout in force: the setting, or a minute
// past the longest hang a fault may make.
func (c Config) AnswerTimeout() time.Duration {
	if c.WriteTimeout != 0 {
		return c.WriteTimeout
	}
	return c.FaultMaxHang + time.Minute
}

// Validate reports every problem in the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: must not be empty"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format: %q is not text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.Clock != clock.ModeReal && c.Clock != clock.ModeFrozen {
		errs = append(errs, fmt.Errorf("clock: %q is not real or frozen", c.Clock))
	}
	if c.GCPercent < 25 && c.GCPercent != -1 {
		errs = append(errs, errors.New("gc_percent: must be at least 25, or -1 to turn the collector off"))
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < 8<<20 {
		errs = append(errs, errors.New("memory_limit: must be at least 8 MiB (8388608), or 0 for none"))
	}
	if c.ClockOffset < 0 {
		errs = append(errs, errors.New("clock_offset: must not be negative"))
	}
	errs = append(errs, c.clockErrors()...)
	errs = append(errs, c.marketplacesErrors()...)
	if err := c.GitLab.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Microsoft.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.TLS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Journal.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Retention.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Sessions.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.FaultSeed < 0 {
		errs = append(errs, errors.New("fault_seed: must not be negative"))
	}
	if c.FaultMaxHang <= 0 || c.FaultMaxHang > time.Hour {
		errs = append(errs, errors.New("fault_max_hang: must be more than 0s and at most 1h"))
	}
	if c.WriteTimeout != 0 && (c.WriteTimeout <= c.FaultMaxHang || c.WriteTimeout > 2*time.Hour) {
		errs = append(errs, fmt.Errorf("write_timeout: must be longer than fault_max_hang (%s) and at most 2h", c.FaultMaxHang))
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > time.Hour {
		errs = append(errs, errors.New("shutdown_grace: must be between 0s and 1h"))
	}
	if c.UnknownEnv != UnknownEnvWarn && c.UnknownEnv != UnknownEnvError {
		errs = append(errs, fmt.Errorf("unknown_env: %q is not warn or error", c.UnknownEnv))
	}
	if err := clock.CheckTime(c.ClockStart); err != nil {
		errs = append(errs, fmt.Errorf("clock_start: %w", err))
	}
	errs = append(errs, c.faultErrors()...)
	errs = append(errs, c.controlErrors()...)
	if err := c.CORS.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// clockErrors refuses clock settings the chosen mode would ignore: a
// start for a real clock, an offset for a frozen one.
func (c Config) clockErrors() []error {
	var errs []error
	if !c.ClockStart.IsZero() {
		if c.Clock != clock.ModeFrozen {
			errs = append(errs, errors.New("clock_start: only a frozen clock has a start (set clock: frozen, or use clock_offset with a real clock)"))
		}
		if c.ClockStart.Before(minClockStart) || !c.ClockStart.Before(maxClockStart) {
			errs = append(errs, errors.New("clock_start: must be from 1970-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"))
		}
	}
	if c.ClockOffset != 0 && c.Clock == clock.ModeFrozen {
		errs = append(errs, errors.New("clock_offset: only a real clock has an offset (a frozen clock starts at clock_start)"))
	}
	return errs
}

// The range of clock_start: a frozen clock must be able to move forward
// for a good while without leaving the years RFC 3339 can write.
var (
	minClockStart = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxClockStart = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// faultErrors checks the config file's rules as the control API would,
// naming each problem by its place in the list.
func (c Config) faultErrors() []error {
	var errs []error
	ids := map[string]bool{}
	for i, r := range c.Faults {
		for _, p := range fault.Validate(r, c.faultAPIs()) {
			errs = append(errs, fmt.Errorf("faults[%d].%s: %s", i, p.Field, p.Message))
		}
		if r.ID != "" && ids[r.ID] {
			errs = append(errs, fmt.Errorf("faults[%d].id: %q is used by an earlier rule", i, r.ID))
		}
		ids[r.ID] = true
	}
	return errs
}

// newClock builds the clock the configuration asks for.
func (c Config) newClock() *clock.Clock {
	if c.Clock == clock.ModeFrozen {
		return clock.New(clock.WithFrozen(c.ClockStart))
	}
	return clock.New(clock.WithOffset(c.ClockOffset))
}
