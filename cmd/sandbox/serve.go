package main

import (
	"context"
	"errors"
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
)

var loader = settings.Loader{EnvPrefix: "SANDBOX_", ConfigFlag: "config", ReadFile: os.ReadFile}

// loadConfig layers the configuration: defaults, file, environment, flags.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (sandbox.Config, error) {
	cfg := sandbox.DefaultConfig()
	rest, err := loader.Load(&cfg, name, args, getenv, stderr)
	if err != nil {
		return cfg, err
	}
	if len(rest) > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q (see --help)", rest)
	}
	return cfg, cfg.Validate()
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig("sandbox", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if getenv("GOGC") == "" {
		// Measured in BENCHMARKS.md: 200 instead of Go's 100 buys ~20 % more
		// creates a second for a few MiB of heap.
		debug.SetGCPercent(cfg.GCPercent)
	}
	fx := fixtures.Default()
	if cfg.Fixtures != "" {
		doc, err := os.ReadFile(cfg.Fixtures)
		if err != nil {
			return fmt.Errorf("reading fixtures: %w", err)
		}
		if fx, err = fixtures.Parse(doc); err != nil {
			return fmt.Errorf("fixtures %s: %w", cfg.Fixtures, err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + reachable(ln.Addr().String())
	sb, err := sandbox.New(cfg, sandbox.WithLogger(log), sandbox.WithFixtures(fx), sandbox.WithBaseURL(baseURL))
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           sb.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
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
	wg.Add(1)
	go func() { defer wg.Done(); sb.Run(runCtx) }()
	if getenv("GOMEMLIMIT") == "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			governMemory(runCtx, cfg.MemoryLimit, gcPercent(cfg, getenv), 250*time.Millisecond)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(sb.Listener(ln)) }() // net/http's own refusals in the envelope too

	printBanner(stdout, baseURL, cfg, fx)
	log.Info("sandbox listening", "url", baseURL, "clock", cfg.Clock)

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
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
func gcPercent(cfg sandbox.Config, getenv func(string) string) int {
	switch v := getenv("GOGC"); {
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

func newLogger(cfg sandbox.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// reachable turns a listen address into one a client on this host can
// dial: the unspecified address becomes loopback.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printBanner tells a person where the sandbox is and how to call it.
func printBanner(w io.Writer, baseURL string, cfg sandbox.Config, fx fixtures.Fixtures) {
	fmt.Fprintf(w, "marketplace-sandbox listening on %s (clock: %s)\n", baseURL, cfg.Clock)
	fmt.Fprintf(w, "  GitLab Marketplace API: %s/api/v1/marketplace/subscriptions (token: POST %s/oauth/token)\n", baseURL, baseURL)
	fmt.Fprintf(w, "  control API:            %s/_sandbox/health, /_sandbox/clock, /_sandbox/gitlab/subscriptions\n", baseURL)
	fmt.Fprintln(w, "  credentials (client_id / client_secret: scopes, trading partners):")
	for _, p := range fx.GitLab.Partners {
		fmt.Fprintf(w, "    %s / %s: %s; %s\n", p.ClientID, p.ClientSecret, strings.Join(p.Scopes, " "), strings.Join(p.TradingPartnerIDs, ", "))
	}
	fmt.Fprintf(w, "  try: curl -s -X POST %s/oauth/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d scope=marketplace.order:create\n",
		baseURL, firstClient(fx).ClientID, firstClient(fx).ClientSecret)
}

func firstClient(fx fixtures.Fixtures) fixtures.Partner {
	if len(fx.GitLab.Partners) == 0 {
		return fixtures.Partner{}
	}
	return fx.GitLab.Partners[0]
}
