package sandbox

import (
	"errors"
	"time"
)

// SessionSettings bound the isolated workspaces of POST /_sandbox/sessions
// (README, "Certifying a client"): each is a sandbox of its own, so their
// number and journals are what a long-lived shared sandbox must bound.
type SessionSettings struct {
	Max         int           `yaml:"max" usage:"most certification sessions open at once (0: sessions are refused)"`
	IdleTimeout time.Duration `yaml:"idle_timeout" usage:"a session no request has reached for this long (wall time) is ended, so that CI jobs that die do not leak theirs"`
	// JournalEntries and JournalBytes size each session's journal, which
	// holds the evidence of its verdicts: a report on a journal that
	// dropped entries fails the verdicts that needed them.
	JournalEntries int   `yaml:"journal_entries" usage:"most requests one session's journal keeps (its verdicts' evidence)"`
	JournalBytes   int64 `yaml:"journal_bytes" usage:"approximate memory one session's journal may use, in bytes"`
}

// DefaultSessionSettings allow 64 sessions of 10 000 journaled requests
// within 8 MiB each, ended after an hour without traffic.
func DefaultSessionSettings() SessionSettings {
	return SessionSettings{Max: 64, IdleTimeout: time.Hour, JournalEntries: 10000, JournalBytes: 8 << 20}
}

// Validate reports every setting out of range at once.
func (s SessionSettings) Validate() error {
	var errs []error
	if s.Max < 0 || s.Max > 1000 {
		errs = append(errs, errors.New("sessions.max: must be between 0 and 1000"))
	}
	if s.IdleTimeout < time.Second || s.IdleTimeout > 7*24*time.Hour {
		errs = append(errs, errors.New("sessions.idle_timeout: must be between 1s and 168h"))
	}
	if s.JournalEntries < 100 || s.JournalEntries > 1_000_000 {
		errs = append(errs, errors.New("sessions.journal_entries: must be between 100 and 1000000"))
	}
	if s.JournalBytes < 1<<20 || s.JournalBytes > 1<<30 {
		errs = append(errs, errors.New("sessions.journal_bytes: must be between 1048576 and 1073741824"))
	}
	return errors.Join(errs...)
}
