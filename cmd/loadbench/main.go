// Command loadbench is the measuring half of `make load` (see load.sh and
// BENCHMARKS.md). It has two jobs that a shell does badly:
//
//	loadbench bare --addr ADDR [--body-bytes N]  serve a bare net/http handler, the baseline
//	                                      (its answer N bytes long, default a GitLab status answer)
//	loadbench startup URL -- CMD ARGS…   start CMD and print milliseconds until URL answers 200
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) >= 3 && args[0] == "bare" && args[1] == "--addr" {
		body := bareBody
		if len(args) == 5 && args[3] == "--body-bytes" {
			n, err := strconv.Atoi(args[4])
			if err != nil || n < 2 || n > 1<<20 {
				return fmt.Errorf("--body-bytes: %q is not a size from 2 to 1048576", args[4])
			}
			body = append(bytes.Repeat([]byte(" "), n-1), '\n')
			body[0] = '{'
			body[n-2] = '}'
		}
		return serveBare(ctx, args[2], body)
	}
	if len(args) >= 4 && args[0] == "startup" && args[2] == "--" {
		ms, err := startup(ctx, args[1], args[3:])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%.1f\n", ms)
		return nil
	}
	return errors.New("usage: loadbench bare --addr ADDR | loadbench startup URL -- CMD [ARGS...]")
}

// bareBody is the size of a subscription status answer, so both servers
// write the same number of bytes.
var bareBody = []byte(`{"externalSubscriptionId":"load-status","subscriptionNumber":"A-S00000001","status":"Created","createdAt":"2026-11-22T05:00:00.000Z","updatedAt":"2026-11-22T05:00:00.000Z"}` + "\n")

// serveBare is the baseline: the least a Go HTTP server can do per request.
func serveBare(ctx context.Context, addr string, body []byte) error {
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	})}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startup measures from process start to the first 200 from url, polling
// as fast as the loopback allows, then stops the process.
func startup(ctx context.Context, url string, command []string) (float64, error) {
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	client := &http.Client{Timeout: 100 * time.Millisecond}
	for time.Since(begin) < 10*time.Second {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return float64(time.Since(begin).Microseconds()) / 1000, nil
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	return 0, fmt.Errorf("%s did not answer 200 within 10s", url)
}
