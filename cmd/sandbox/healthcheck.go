package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// healthcheck asks a running sandbox for /_sandbox/health. It reads the
// same configuration as serve, so in a container it checks the address the
// server listens on; images built FROM scratch have no curl for this.
func healthcheck(ctx context.Context, args []string, env settings.Environment, stdout, stderr io.Writer) error {
	cfg, unknown, ok, err := loadConfig("healthcheck", args, env, stdout)
	warnUnknown(stderr, unknown)
	if !ok {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	url := "http://" + reachable(cfg.Addr) + "/_sandbox/health"
	client := http.DefaultClient
	if cfg.TLS.Enabled {
		// A liveness probe on this host, not a check of identity: the
		// generated CA lives only in the serving process, whose CA file
		// this process may not know.
		url = "https://" + strings.TrimPrefix(url, "http://")
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}

// printSettings writes every setting as a Markdown table, the source of the
// README's configuration section.
func printSettings(w io.Writer) error {
	cfg := sandbox.DefaultConfig()
	fmt.Fprintln(w, "| YAML key | environment | flag | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range settings.List(&cfg, loader.EnvPrefix) {
		def := s.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "| `%s` | `%s` | `--%s` | `%s` | %s |\n", s.Key, s.Env, s.Flag, def, strings.ReplaceAll(s.Usage, "|", "\\|"))
	}
	return nil
}
