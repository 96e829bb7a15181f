package sandbox

import (
	"net"
	"strings"
)

// hostAllowList is what the control API checks a request's Host against
// when no control token is set: the defence against DNS rebinding, where
// a web page on attacker.example re-points its own name at 127.0.0.1 and
// then calls the sandbox "same-origin", with Host: attacker.example.
// The attack needs a name the attacker's DNS answers, so the list allows
// by default every Host no outside DNS can serve: localhost and
// *.localhost (RFC 6761 keeps them on loopback), IP literals, and
// single-label names (a compose service or container name, an /etc/hosts
// alias: only the local resolver knows them), plus the host of the addr
// setting and the control_hosts setting's patterns.
type hostAllowList struct {
	any      bool
	exact    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
}

func newHostAllowList(addr string, patterns []string) hostAllowList {
	l := hostAllowList{exact: map[string]bool{}}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" {
		l.exact[canonicalHost(host)] = true
	}
	for _, p := range patterns {
		switch p = canonicalHost(p); {
		case p == "*":
			l.any = true
		case strings.HasPrefix(p, "*."):
			l.suffixes = append(l.suffixes, p[1:])
		default:
			l.exact[p] = true
		}
	}
	return l
}

// allows reports whether a request with this Host header may reach the
// control API without a token.
func (l hostAllowList) allows(hostHeader string) bool {
	if l.any || hostHeader == "" { // no Host at all is no browser's request (HTTP/1.0)
		return true
	}
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = canonicalHost(host)
	switch {
	case net.ParseIP(host) != nil, host == "localhost", strings.HasSuffix(host, ".localhost"), !strings.Contains(host, "."):
		return true
	case l.exact[host]:
		return true
	}
	for _, s := range l.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// canonicalHost is a host as compared: lower case, without IPv6 brackets
// or the trailing dot of a fully qualified name (sandbox.example.com.).
func canonicalHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}
