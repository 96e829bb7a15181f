// Command sandbox runs the marketplace sandbox: a fake GitLab Customers
// Portal Marketplace API with its back office and the /_sandbox control
// API, configured by a YAML file, SANDBOX_* environment variables and flags.
//
//	sandbox [serve] [flags]      serve (the default)
//	sandbox healthcheck [flags]  exit 0 if the sandbox at --addr is healthy
//	sandbox version [--json]     print which build this is
//	sandbox settings             print every setting as a Markdown table
//	sandbox help [command]       show the help of sandbox or of a command
//
// Exit status: 0 on success and after a requested shutdown (SIGTERM,
// Ctrl-C), 1 when the sandbox fails (it cannot listen, a healthcheck finds
// it unhealthy), 2 when the command line or the configuration is wrong and
// nothing was started.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one ends the process at once, as
	// a user pressing Ctrl-C twice expects.
	context.AfterFunc(ctx, stop)
	err := run(ctx, os.Args[1:], settings.Environ(os.Environ()), os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and says what the process exits with.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var usage usageError
	isUsage := errors.As(err, &usage)
	var logged loggedError
	if !errors.As(err, &logged) { // a JSON record already said it (logformat.go)
		fmt.Fprintln(stderr, "sandbox:", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		if isUsage {
			fmt.Fprintln(stderr, "Run 'sandbox --help' for usage.")
		}
	}
	if isUsage {
		return 2
	}
	return 1
}

// usageError is a mistake in the command line or the configuration:
// nothing was started, and the exit status is 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run dispatches to a subcommand; with none, or flags first, it serves.
// It takes the whole environment rather than a getenv function, because a
// misspelt SANDBOX_* variable is only found by listing them.
func run(ctx context.Context, args []string, env settings.Environment, stdout, stderr io.Writer) error {
	name, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	cmd, ok := lookup(name)
	if !ok {
		return unknownCommand(name)
	}
	return cmd.run(ctx, rest, env, stdout, stderr)
}
