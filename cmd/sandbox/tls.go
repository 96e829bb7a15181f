package main

import (
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"log/slog"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// expandTLSFlag turns the short --tls (or --tls=false) into the setting's
// own flag, --tls-enabled: the issue and the quick start say --tls, and the
// settings package names a nested setting tls.enabled. Only flags before a
// "--" are flags.
func expandTLSFlag(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "tls" {
			a = "--tls-enabled"
			if hasValue {
				a += "=" + value
			}
		}
		out = append(out, a)
	}
	return out
}

// prepareTLS makes the certificate serve asks for, or nil when TLS is off.
// A generated certificate also covers this machine's host name (a
// container's, for its neighbours on a Docker network) and the address
// listened on when it is a specific one.
func prepareTLS(cfg sandbox.Config, addr net.Addr) (*tlscert.Setup, error) {
	if !cfg.TLS.Enabled {
		return nil, nil
	}
	setup, err := tlscert.New(cfg.TLS, certificateHosts(addr, os.Hostname), time.Now())
	if err != nil {
		return nil, usageError{err}
	}
	return setup, nil
}

// certificateHosts are the names a generated certificate gets besides
// localhost and the tls.hosts setting.
func certificateHosts(addr net.Addr, hostname func() (string, error)) []string {
	var hosts []string
	if name, err := hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			hosts = append(hosts, ip.String())
		}
	}
	return hosts
}

// secureURL is where a client reaches the sandbox over HTTPS: the same
// host and port. localhost rather than 127.0.0.1 is not needed: the
// generated certificate names both.
func secureURL(where listener) listener {
	where.URL = "https://" + strings.TrimPrefix(where.URL, "http://")
	return where
}

// serveTLSOn prepares srv and ln for HTTPS when setup is not nil: TLS is
// served beneath the sandbox's envelope wrapper, which must see plain text,
// and handlers get r.TLS back (see tlscert.NewListener for the design).
func serveTLSOn(srv *http.Server, ln net.Listener, setup *tlscert.Setup, log *slog.Logger) net.Listener {
	if setup == nil {
		return ln
	}
	srv.ConnContext = tlscert.ConnContext
	srv.Handler = tlscert.RestoreState(srv.Handler)
	return tlscert.NewListener(ln, setup.Config, tlscert.WithLogger(log))
}

// caLine is the one start-up line that names the generated CA, "" when the
// certificate was given.
func caLine(setup *tlscert.Setup, baseURL string) string {
	switch {
	case setup == nil || setup.CAPEM == nil:
		return ""
	case setup.CAFile != "":
		return "CA certificate: " + setup.CAFile
	default:
		return "CA certificate: " + setup.CANote + "; download it with curl -k " + baseURL + "/_sandbox/ca.pem"
	}
}
