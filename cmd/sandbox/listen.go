package main

import (
	"net"
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
}

// describeListener tells the truth about a bound address: a container
// listening on 0.0.0.0 is reachable from outside through its published
// port, but on this host at 127.0.0.1, and the banner says both.
func describeListener(addr net.Addr) listener {
	bound := addr.String()
	l := listener{Listen: bound, Interfaces: "this address only", URL: "http://" + reachable(bound)}
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
