package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

const testControlToken = "0123456789abcdef0123456789abcdef"

// Listening beyond loopback with an open control API is refused before
// anything is served, naming the address and both ways out.
func TestServeRefusesAnOpenControlAPIBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run(addr, func(t *testing.T) {
			var stderr strings.Builder
			err := run(context.Background(), []string{"--addr", addr}, settings.Environment{}, io.Discard, &stderr)
			var usage usageError
			if !errors.As(err, &usage) || exitCode(err, io.Discard) != 2 {
				t.Fatalf("want a usage error (exit 2), got %v", err)
			}
			for _, want := range []string{"refusing to listen on", "every", "control_token", "SANDBOX_CONTROL_TOKEN", "control_open: true", "127.0.0.1"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the refusal lacks %q:\n%v", want, err)
				}
			}
		})
	}
	t.Run("judged by the address bound", func(t *testing.T) {
		cfg := sandbox.DefaultConfig()
		cfg.Addr = "sandbox.team.example:8080"
		bound := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8080}
		err := refuseOpenControl(cfg, describeListener(bound), bound)
		if err == nil || !strings.Contains(err.Error(), "sandbox.team.example:8080, which is 10.1.2.3:8080") {
			t.Fatalf("%v", err)
		}
		loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 8080}
		if err := refuseOpenControl(cfg, describeListener(loop), loop); err != nil {
			t.Fatalf("a name that resolved to loopback: %v", err)
		}
	})
	t.Run("localhost resolves to loopback", func(t *testing.T) {
		s := startServerAt(t, "localhost:0", nil)
		defer s.stop()
	})
}

func TestServeBeyondLoopbackWithAToken(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"from the environment", map[string]string{"SANDBOX_CONTROL_TOKEN": testControlToken}, nil},
		{"from a flag", nil, []string{"--control-token", testControlToken}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startServerAt(t, "0.0.0.0:0", c.env, c.args...)
			defer s.stop()
			if out := s.stdout.String(); !strings.Contains(out, "every") || !strings.Contains(out, "token required") ||
				strings.Contains(out, ":0 ") {
				t.Errorf("banner:\n%s", out)
			}
			waitHealthy(t, s.url)
			for _, c := range []struct {
				auth string
				want int
			}{{"", 401}, {"Bearer wrong-wrong-wrong-wrong", 401}, {"Bearer " + testControlToken, 200}} {
				req, _ := http.NewRequest("GET", s.url+"/_sandbox/clock", nil)
				if c.auth != "" {
					req.Header.Set("Authorization", c.auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Errorf("Authorization %q: %d, want %d", c.auth, resp.StatusCode, c.want)
				}
			}
		})
	}
}

func TestServeOpenOnPurposeWarns(t *testing.T) {
	s := startServerAt(t, "0.0.0.0:0", map[string]string{"SANDBOX_CONTROL_OPEN": "true"})
	defer s.stop()
	if !strings.Contains(s.stdout.String(), "WARNING: open to every host that reaches ") {
		t.Errorf("banner:\n%s", s.stdout)
	}
	waitHealthy(t, s.url)
	if !strings.Contains(s.stderr.String(), "the control API is open") {
		t.Errorf("log:\n%s", s.stderr)
	}
}

func TestServeOnLoopbackSaysTheControlAPIIsOpenToThisHost(t *testing.T) {
	s := startServer(t, nil)
	defer s.stop()
	if out := s.stdout.String(); !strings.Contains(out, "open to programs on this host") || strings.Contains(out, "127.0.0.1:0 ") {
		t.Errorf("banner:\n%s", out)
	}
}
