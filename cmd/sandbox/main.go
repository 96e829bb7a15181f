// Command sandbox runs the marketplace sandbox: a fake GitLab Customers
// Portal Marketplace API with its back office and the /_sandbox control
// API, configured by a YAML file, SANDBOX_* environment variables and flags.
//
//	sandbox [flags]              serve (the default)
//	sandbox healthcheck [flags]  exit 0 if the sandbox at --addr is healthy
//	sandbox settings             print every setting as a Markdown table
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serve(ctx, args[1:], getenv, stdout, stderr)
		case "healthcheck":
			return healthcheck(ctx, args[1:], getenv, stdout, stderr)
		case "settings":
			return printSettings(stdout)
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
