package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestShutdownWithARequestInFlightExitsZeroWithinTheGrace holds a request
// open (its body never arrives), asks for a shutdown, and expects run to
// return nil once the grace is over, having cut that request and said so.
// Before shutdown_grace, run waited a fixed 5s and then returned the
// deadline error, so the binary exited 1 on a plain SIGTERM.
func TestShutdownWithARequestInFlightExitsZeroWithinTheGrace(t *testing.T) {
	const grace = 200 * time.Millisecond
	s := startServer(t, nil, "--shutdown-grace", grace.String())
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// With Expect: 100-continue the server answers "100 Continue" when the
	// handler starts reading the body: from then on the request is in flight.
	fmt.Fprint(conn, "POST /oauth/token HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 1000\r\nExpect: 100-continue\r\n\r\ngrant_type=client_credentials")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	began := time.Now()
	if err := s.stop(); err != nil {
		t.Errorf("run returned %v after a requested shutdown, want nil (exit 0)", err)
	}
	if took := time.Since(began); took > grace+3*time.Second {
		t.Errorf("shutdown took %s, want about the grace (%s)", took, grace)
	}
	if !strings.Contains(s.stderr.String(), "requests_cut=1") {
		t.Errorf("the log does not say one request was cut:\n%s", s.stderr)
	}
}

func TestShutdownWithNothingInFlightIsQuiet(t *testing.T) {
	s := startServer(t, nil, "--shutdown-grace", "0s")
	waitHealthy(t, s.url)
	if err := s.stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	if strings.Contains(s.stderr.String(), "requests_cut") {
		t.Errorf("nothing was cut, yet:\n%s", s.stderr)
	}
}
