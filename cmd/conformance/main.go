// Command conformance certifies an implementation of a marketplace API (today
// GitLab's Marketplace API) against the scenario library: every requirement
// is checked over HTTP and the run ends with a verdict a CI pipeline can gate
// a release on.
//
//	conformance [--target URL] [--config FILE] [--scenarios DIR]
//	            [--label-filter EXPR] [--id ID[,ID…]] [--list]
//	            [--junit FILE] [--json FILE] [--html FILE]
//	            [--allow-all-skipped] [--allow-empty]
//
// Exit codes: 0 every selected scenario passed (skips allowed, as long as
// one ran), 1 a scenario failed, 2 usage, configuration or scenario errors,
// or a run that checked nothing (every scenario skipped, none selected,
// interrupted), 3 the target is unreachable.
//
//	conformance certify-client --sandbox URL --api gitlab|microsoft [flags] -- COMMAND [ARG…]
//
// certifies the partner's own client instead: it runs COMMAND in a session
// of the sandbox and judges what the session saw (certify.go); exit codes
// 0 certified, 1 a verdict failed or was not exercised, 2 usage, 3 the
// sandbox is unreachable, 4 the command itself failed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of the command.
const (
	exitPass        = 0
	exitFail        = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(reportExit(err, os.Stderr))
}

// exitError carries the exit code of a failed run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// reportExit prints err (if any) and returns the process exit code.
func reportExit(err error, stderr io.Writer) int {
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "conformance:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "conformance:", err)
	return exitUsage
}
