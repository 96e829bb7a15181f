package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
)

// listener says where the sandbox listens and where a client reaches it.
type listener struct {
	// Listen is the address the socket is bound to, e.g. 0.0.0.0:8080.
	Listen string
	// Interfaces says in words who can connect to it.
	Interfaces string
	// URL is where a client on this host (or in this container) reaches
	// it: the listen address, with loopback for an unspecified one. The
	// sandbox's own callouts use it too.
	URL string
	// exposed is true when other machines or containers may connect: the
	// address is not a loopback one.
	exposed bool
}

// describeListener tells the truth about a bound address: a container
// listening on 0.0.0.0 is reachable from outside through its published
// port, but on this host at 127.0.0.1, and the banner says both.
func describeListener(addr net.Addr) listener {
	bound := addr.String()
	l := listener{Listen: bound, Interfaces: "this address only", URL: "http://" + reachable(bound), exposed: beyondLoopback(addr)}
	host, _, err := net.SplitHostPort(bound)
	if err != nil {
		return l
	}
	switch ip := net.ParseIP(host); {
	case ip == nil:
	case ip.IsLoopback():
		l.Interfaces = "loopback only: other machines and containers cannot connect"
	case ip.Equal(net.IPv4zero):
		l.Interfaces = "every IPv4 interface"
	case ip.IsUnspecified():
		l.Interfaces = "every interface, IPv4 and IPv6"
	}
	return l
}

// reachable turns a listen address into one a client on this host can
// dial: the unspecified address becomes loopback.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// beyondLoopback reports whether a bound address can be reached from
// other machines or containers: every address but a loopback one (an
// unspecified address, 0.0.0.0 or ::, is every interface).
func beyondLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return !ok || !tcp.IP.IsLoopback()
}

// refuseOpenControl refuses, as a usage error (exit 2, nothing served), to
// serve an open control API beyond loopback: whoever reaches the port
// could reset the sandbox, move its clock or inject faults. It judges the
// address really bound, so a host name in addr is judged by what it
// resolved to, and names the two ways out.
func refuseOpenControl(cfg sandbox.Config, where listener, bound net.Addr) error {
	if cfg.ControlGuarded() || cfg.ControlOpen || !beyondLoopback(bound) {
		return nil
	}
	what := where.Listen + " (" + where.Interfaces + ")"
	if cfg.Addr != where.Listen {
		what = fmt.Sprintf("%s, which is %s", cfg.Addr, what)
	}
	return usageError{errors.New("refusing to listen on " + what + " without a control token: anyone who can reach it could reset the sandbox, move its clock or inject faults.\n" +
		"Either set control_token (SANDBOX_CONTROL_TOKEN, --control-token, or control_token_file with a secret file; at least 16 characters, e.g. openssl rand -hex 32),\n" +
		"or set control_open: true (SANDBOX_CONTROL_OPEN=true, --control-open) to run it open on purpose,\n" +
		"or listen on loopback only (--addr 127.0.0.1:8080).")}
}
