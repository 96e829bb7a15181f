// Package tlscert gives the sandbox HTTPS: a certificate authority it
// generates at start (named "marketplace-sandbox local CA") and a server
// certificate from it for localhost and the other names a client dials, or
// a certificate and key the user gives; a listener that serves TLS beneath
// the sandbox's own connection wrapper; and the handler that serves the CA
// so that clients can trust it. It knows no marketplace. Entra client
// libraries (MSAL, azidentity) refuse an http:// authority, so this is what
// lets a publisher's real token code run against the sandbox unchanged
// (docs/microsoft.md §2).
package tlscert

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Settings are the TLS settings, under tls: in the config file.
type Settings struct {
	Enabled bool   `yaml:"enabled" usage:"serve HTTPS instead of HTTP (--tls is short for --tls-enabled): with a generated certificate, or with tls.cert and tls.key"`
	Cert    string `yaml:"cert" usage:"PEM file of the server certificate (and its chain) to serve instead of a generated one; needs tls.key"`
	Key     string `yaml:"key" usage:"PEM file of the private key of tls.cert"`
	CAFile  string `yaml:"ca_file" usage:"where to write the generated CA certificate (PEM) for clients to trust (default: a new file in the temporary directory, else the user cache directory, removed at exit)"`
	// Hosts are added to the names the generated certificate is valid for.
	Hosts []string `yaml:"hosts" usage:"more DNS names or IP addresses for the generated certificate, besides localhost, 127.0.0.1, ::1, the host name and the listen address (e.g. host.docker.internal)"`
}

// MaxHosts bounds tls.hosts: a certificate for more names than this is a
// mistake in the setting, not a need.
const MaxHosts = 100

// DefaultSettings serve plain HTTP.
func DefaultSettings() Settings { return Settings{} }

// Generated reports whether the sandbox generates its certificate (TLS is
// on and no certificate is given).
func (s Settings) Generated() bool { return s.Enabled && s.Cert == "" && s.Key == "" }

// Validate reports every problem at once, each named by its key. Settings
// that TLS being off, or a given certificate, would ignore are refused
// rather than silently unused.
func (s Settings) Validate() error {
	var errs []error
	if !s.Enabled {
		for _, f := range []struct {
			key string
			set bool
		}{{"cert", s.Cert != ""}, {"key", s.Key != ""}, {"ca_file", s.CAFile != ""}, {"hosts", len(s.Hosts) > 0}} {
			if f.set {
				errs = append(errs, fmt.Errorf("tls.%s: is set but tls.enabled is false (add --tls to serve HTTPS)", f.key))
			}
		}
		return errors.Join(errs...)
	}
	if (s.Cert == "") != (s.Key == "") {
		errs = append(errs, errors.New("tls.cert, tls.key: give both files or neither (neither: the sandbox generates its certificate)"))
	}
	if s.Cert != "" && s.CAFile != "" {
		errs = append(errs, errors.New("tls.ca_file: only a generated CA is written; with tls.cert the sandbox has no CA to write"))
	}
	if s.Cert != "" && len(s.Hosts) > 0 {
		errs = append(errs, errors.New("tls.hosts: names go into a generated certificate; the one in tls.cert names its own"))
	}
	if len(s.Hosts) > MaxHosts {
		errs = append(errs, fmt.Errorf("tls.hosts: %d names; at most %d", len(s.Hosts), MaxHosts))
	}
	for i, h := range s.Hosts {
		if err := checkHost(h); err != nil {
			errs = append(errs, fmt.Errorf("tls.hosts[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// checkHost accepts an IP address or a DNS name (a leading "*." for a
// wildcard), as a certificate's subject alternative names hold them.
func checkHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	name := strings.TrimPrefix(h, "*.")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("%q is not a DNS name or an IP address", h)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("%q is not a DNS name or an IP address", h)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("%q is not a DNS name or an IP address", h)
			}
		}
	}
	return nil
}
