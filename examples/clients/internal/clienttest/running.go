package clienttest

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
)

// Main is a command's run function.
type Main func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int

// Running is a client running beside the test until Stop (called at
// the latest when the test ends).
type Running struct {
	// Code is the exit code, once Stop returned.
	Code   int
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	cancel context.CancelFunc
}

// Start runs main with args and env until Stop.
func Start(t testing.TB, main Main, env map[string]string, args ...string) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Running{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		c.Code = main(ctx, args, Getenv(env), &c.stdout, &c.stderr)
	}()
	t.Cleanup(c.Stop)
	return c
}

// Stop ends the client and waits for it.
func (c *Running) Stop() {
	c.cancel()
	<-c.done
}

// Stdout is what the client printed so far.
func (c *Running) Stdout() string { return c.stdout.String() }

// Stderr is what the client printed to stderr so far.
func (c *Running) Stderr() string { return c.stderr.String() }

// syncBuffer is a buffer the client writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
