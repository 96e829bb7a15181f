package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// loader reads the sandbox's configuration. SANDBOX_PPROF_ADDR is read by
// the pprof build, SANDBOX_IMAGE by compose and the testcontainers module:
// neither is a misspelt setting.
var loader = settings.Loader{EnvPrefix: "SANDBOX_", ConfigFlag: "config", ReadFile: os.ReadFile,
	OtherEnv: []string{"SANDBOX_PPROF_ADDR", "SANDBOX_IMAGE"}}

// loadConfig layers the configuration (defaults, file, environment, flags)
// for the command name and validates it. Every problem comes back at once as
// a usage error; unknown SANDBOX_* variables come back to be warned about,
// or as errors under unknown_env: error. ok is false when --help was
// answered and the command should stop.
func loadConfig(name string, args []string, env settings.Environment, stdout io.Writer) (cfg sandbox.Config, unknown []settings.UnknownVariable, ok bool, err error) {
	cfg = sandbox.DefaultConfig()
	loaded, err := loader.Load(&cfg, expandTLSFlag(args), env)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c, _ := lookup(name)
		printHelp(stdout, c)
		return cfg, loaded.Unknown, false, nil
	case err != nil && strings.Contains(err.Error(), "\n"):
		err = fmt.Errorf("the configuration is refused:\n%w", err)
	case err == nil && len(loaded.Args) > 0:
		err = fmt.Errorf("unexpected argument %q: %s takes flags only (a boolean flag takes its value as --flag=false)\n%s", loaded.Args[0], name, commandList())
	}
	if cfg.UnknownEnv == sandbox.UnknownEnvError && len(loaded.Unknown) > 0 {
		var lines []string
		for _, u := range loaded.Unknown {
			lines = append(lines, "environment "+u.String()+" (unknown_env: error)")
		}
		err = errors.Join(err, errors.New(strings.Join(lines, "\n")))
	}
	if err != nil {
		return cfg, loaded.Unknown, false, usageError{err}
	}
	return cfg, loaded.Unknown, true, nil
}

func serve(ctx context.Context, args []string, env settings.Environment, stdout, stderr io.Writer) (err error) {
	cfg, unknown, ok, err := loadConfig("serve", args, env, stdout)
	if !ok {
		return refusedConfig(cfg, unknown, err, stderr)
	}
	log := newLogger(cfg, stderr)
	defer func() { err = logFailure(log, cfg, err) }() // logformat.go
	stdout = humanOutput(cfg, stdout)
	for _, u := range unknown {
		log.Warn("environment variable ignored: "+u.String(), "variable", u.Name, "closest", u.Closest)
	}
	if env["GOGC"] == "" {
		// Measured in BENCHMARKS.md: 200 instead of Go's 100 buys ~20 % more
		// creates a second for a few MiB of heap.
		debug.SetGCPercent(cfg.GCPercent)
	}
	fx, err := loadFixtures(cfg.Fixtures)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	where := describeListener(ln.Addr())
	if err := refuseOpenControl(cfg, where, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	setup, err := prepareTLS(cfg, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	defer setup.Close()
	if setup != nil {
		where = secureURL(where)
	}
	opts := []sandbox.Option{sandbox.WithLogger(log), sandbox.WithFixtures(fx), sandbox.WithBaseURL(where.URL)}
	if setup != nil && setup.CAPEM != nil {
		opts = append(opts, sandbox.WithCAPEM(setup.CAPEM))
	}
	sb, err := sandbox.New(cfg, opts...)
	if err != nil {
		ln.Close()
		return usageError{err}
	}
	return serveUntilDone(ctx, ln, setup, sb, cfg, env, log, func() {
		printBanner(stdout, where, cfg, fx)
		if line := caLine(setup, where.URL); line != "" {
			fmt.Fprintln(stdout, line)
		}
		log.Info("sandbox listening", "listen", where.Listen, "interfaces", where.Interfaces, "url", where.URL, "clock", cfg.Clock, "tls", setup != nil,
			"control_token", cfg.ControlGuarded())
		if !cfg.ControlGuarded() && beyondLoopback(ln.Addr()) {
			log.Warn("the control API is open to every host that reaches "+where.Listen+" (control_open: true, no control_token)", "listen", where.Listen)
		}
	})
}

// warnUnknown writes the unknown-variable warnings when there is no
// logger yet (the configuration was refused).
func warnUnknown(w io.Writer, unknown []settings.UnknownVariable) {
	for _, u := range unknown {
		fmt.Fprintln(w, "sandbox: warning: environment variable ignored:", u.String())
	}
}

// loadFixtures reads the fixtures file, or the embedded default for "".
func loadFixtures(path string) (fixtures.Fixtures, error) {
	if path == "" {
		return fixtures.Default(), nil
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return fixtures.Fixtures{}, usagef("reading fixtures: %w", err)
	}
	fx, err := fixtures.ParseFile(path, doc)
	if err != nil {
		return fixtures.Fixtures{}, usagef("the fixtures file is refused:\n%w", err)
	}
	return fx, nil
}

// serveUntilDone serves on ln (HTTPS when setup is not nil) until ctx ends, then shuts down within the
// grace (see shutdown), stops the background work and returns.
func serveUntilDone(ctx context.Context, ln net.Listener, setup *tlscert.Setup, sb *sandbox.Sandbox, cfg sandbox.Config, env settings.Environment, log *slog.Logger, ready func()) error {
	reqs := &inflight{}
	srv := &http.Server{
		Handler:           reqs.track(sb.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.AnswerTimeout(),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    sandbox.MaxHeaderBytes,
		// OPTIONS * goes to the handler, which answers it in the envelope,
		// instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(sb.ReleaseFaults) // hung requests must not hold up the shutdown
	runCtx, stopRun := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { sb.Run(runCtx) })
	if env["GOMEMLIMIT"] == "" {
		wg.Go(func() { governMemory(runCtx, cfg.MemoryLimit, gcPercent(cfg, env), 250*time.Millisecond) })
	}
	serveErr := make(chan error, 1)
	ln = serveTLSOn(srv, ln, setup, log)                   // TLS beneath the envelope wrapper
	go func() { serveErr <- srv.Serve(sb.Listener(ln)) }() // net/http's own refusals in the envelope too
	ready()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownErr := shutdown(srv, reqs, cfg.ShutdownGrace, log)
	stopRun()
	wg.Wait()
	log.Info("sandbox stopped")
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return shutdownErr
}

// gcPercent is the collector's target as the process runs: GOGC when set
// (off counts as -1), else the gc_percent setting.
func gcPercent(cfg sandbox.Config, env settings.Environment) int {
	switch v := env["GOGC"]; {
	case v == "":
		return cfg.GCPercent
	case strings.EqualFold(v, "off"):
		return -1
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return 100 // what the runtime does with a GOGC it cannot read
		}
		return n
	}
}

// newLogger is the process's logger, in the configured format and level.
func newLogger(cfg sandbox.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
