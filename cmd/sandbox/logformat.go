package main

import (
	"errors"
	"io"
	"log/slog"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// With log_format: json every line serve writes is a JSON record: a
// container's log collector reads stdout and stderr as one stream, and a
// line that is not JSON breaks (or is dropped by) the pipeline that
// parses it. So the banner, which is for a person at a terminal, is left
// out (the "sandbox listening" record carries its facts: the address,
// the interfaces, the URL, the clock), and a failure, of the
// configuration or at start, is a record at error level instead of the
// "sandbox: ..." line. With text logs nothing changes.

// logsJSON reports whether the configuration asks for JSON logs; for a
// configuration that was refused, as far as it was read.
func logsJSON(cfg sandbox.Config) bool { return cfg.LogFormat == "json" }

// humanOutput is where the banner goes: stdout, or nowhere with JSON logs.
func humanOutput(cfg sandbox.Config, stdout io.Writer) io.Writer {
	if logsJSON(cfg) {
		return io.Discard
	}
	return stdout
}

// loggedError is a failure already written as a log record; exitCode
// only turns it into the exit status.
type loggedError struct{ err error }

func (e loggedError) Error() string { return e.err.Error() }
func (e loggedError) Unwrap() error { return e.err }

// logFailure writes err as a record with JSON logs, and returns what
// serve returns.
func logFailure(log *slog.Logger, cfg sandbox.Config, err error) error {
	if err == nil || !logsJSON(cfg) {
		return err
	}
	var usage usageError
	status := 1
	if errors.As(err, &usage) {
		status = 2
	}
	log.Error("sandbox failed", "err", err.Error(), "exit_status", status)
	return loggedError{err}
}

// refusedConfig reports a configuration serve cannot start with (or the
// end of --help): the unknown variables' warnings and the error, as
// records when the configuration asks for JSON logs.
func refusedConfig(cfg sandbox.Config, unknown []settings.UnknownVariable, err error, stderr io.Writer) error {
	if !logsJSON(cfg) {
		warnUnknown(stderr, unknown)
		return err
	}
	log := newLogger(cfg, stderr)
	for _, u := range unknown {
		log.Warn("environment variable ignored: "+u.String(), "variable", u.Name, "closest", u.Closest)
	}
	return logFailure(log, cfg, err)
}
