package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
)

// controlErrors checks the control guard's settings: one way to give the
// token, a token long enough, and host patterns that can match a Host.
func (c Config) controlErrors() []error {
	var errs []error
	switch {
	case c.ControlToken != "" && c.ControlTokenFile != "":
		errs = append(errs, errors.New("control_token and control_token_file are both set: give the token one way"))
	case c.ControlToken != "":
		if err := controlauth.CheckToken(c.ControlToken); err != nil {
			errs = append(errs, fmt.Errorf("control_token: %w", err))
		}
	}
	for i, h := range c.ControlHosts {
		if err := checkHostPattern(h); err != nil {
			errs = append(errs, fmt.Errorf("control_hosts[%d]: %q %w", i, h, err))
		}
	}
	return errs
}

// ControlGuarded reports whether the control API needs a token: one is
// set, directly or in a file (which New reads). cmd/sandbox refuses to
// listen beyond loopback without one unless ControlOpen says so.
func (c Config) ControlGuarded() bool { return c.ControlToken != "" || c.ControlTokenFile != "" }

// resolveControlToken reads control_token_file into ControlToken, so that
// the guard and every session's sandbox (built from a copy of the
// configuration) hold the token itself and read no file again.
func (c *Config) resolveControlToken() error {
	if c.ControlTokenFile == "" {
		return nil
	}
	raw, err := os.ReadFile(c.ControlTokenFile)
	if err != nil {
		return fmt.Errorf("control_token_file: %w", err)
	}
	// Secrets written by `echo` or an editor end in a newline; nothing
	// else is trimmed, so a token with stray spaces is refused, not
	// silently changed.
	token := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	if err := controlauth.CheckToken(token); err != nil {
		return fmt.Errorf("control_token_file %s: the token %w", c.ControlTokenFile, err)
	}
	c.ControlToken, c.ControlTokenFile = token, ""
	return nil
}

// checkHostPattern accepts what control_hosts may list: "*", a host name,
// "*." and a domain, or an IP literal, without scheme, port or path.
func checkHostPattern(p string) error {
	switch {
	case p == "*":
		return nil
	case p == "":
		return errors.New("is empty")
	case strings.Contains(p, "://"):
		return errors.New("is a URL: list the host name only (sandbox.example.com)")
	case strings.ContainsAny(p, "/?#@"):
		return errors.New("is not a host name: list the name only, without path or user")
	}
	if net.ParseIP(strings.Trim(p, "[]")) != nil {
		return nil
	}
	if _, _, err := net.SplitHostPort(p); err == nil {
		return errors.New("has a port: list the host name only, every port of it is allowed")
	}
	name := strings.TrimPrefix(p, "*.")
	if !validHostName(name) {
		return errors.New("is not a host name (letters, digits, '-' and '.', optionally starting with *. for every name in a domain)")
	}
	return nil
}

// validHostName tells whether name is a DNS name as a Host header carries
// it: labels of letters, digits, '-' and '_' (which Docker and
// Kubernetes names may hold), joined by dots.
func validHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
