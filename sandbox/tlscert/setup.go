package tlscert

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Setup is everything serving HTTPS needs, made from Settings once at start.
type Setup struct {
	// Config is the server's TLS configuration: TLS 1.2 and later, HTTP/1.1
	// only (see NewListener for why not HTTP/2).
	Config *tls.Config
	// CAPEM is the generated CA certificate, to serve at /_sandbox/ca.pem;
	// nil when the certificate was given (the sandbox has no CA then).
	CAPEM []byte
	// CAFile is where CAPEM was written; "" when it could not be (see
	// CANote) or there is no CA.
	CAFile string
	// CANote says why CAPEM was not written to a file, when it was not.
	CANote string
	// Leaf is the server certificate served.
	Leaf *tls.Certificate

	// tempDir is the directory made for CAFile, removed by Close.
	tempDir string
}

// caFileName is the CA file's name in a directory the sandbox makes.
const caFileName = "marketplace-sandbox-ca.pem"

// New makes the Setup that s asks for. hosts are more names for a
// generated certificate besides s.Hosts (the caller adds what only it
// knows: the host name, the listen address). now is the wall clock.
func New(s Settings, hosts []string, now time.Time) (*Setup, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.Enabled {
		return nil, errors.New("tls.enabled is false")
	}
	if !s.Generated() {
		pair, err := LoadKeyPair(s.Cert, s.Key, now)
		if err != nil {
			return nil, err
		}
		return &Setup{Config: serverConfig(pair), Leaf: &pair}, nil
	}
	ca, err := NewAuthority(now)
	if err != nil {
		return nil, err
	}
	pair, err := ca.Issue(append(append([]string(nil), s.Hosts...), hosts...), now)
	if err != nil {
		return nil, err
	}
	setup := &Setup{Config: serverConfig(pair), Leaf: &pair, CAPEM: ca.PEM}
	if err := setup.writeCA(s.CAFile); err != nil {
		return nil, err
	}
	return setup, nil
}

func serverConfig(pair tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// writeCA writes CAPEM where the user said, or else into a new directory
// of its own under the temporary directory, or else under the user cache
// directory. An image built FROM scratch has neither /tmp nor a home, so
// failing both is not an error: the CA is still served at /_sandbox/ca.pem
// and CANote says so. A file the user named must be written, or the start
// fails.
func (s *Setup) writeCA(path string) error {
	if path != "" {
		if err := writeAtomically(path, s.CAPEM); err != nil {
			return fmt.Errorf("tls.ca_file %s: %w", path, err)
		}
		s.CAFile = path
		return nil
	}
	var tried []error
	for _, base := range candidateDirs() {
		dir, err := os.MkdirTemp(base, "marketplace-sandbox-tls-")
		if err != nil {
			tried = append(tried, err)
			continue
		}
		file := filepath.Join(dir, caFileName)
		if err := os.WriteFile(file, s.CAPEM, 0o644); err != nil {
			_ = os.RemoveAll(dir)
			tried = append(tried, err)
			continue
		}
		s.CAFile, s.tempDir = file, dir
		return nil
	}
	s.CANote = "not written to a file (" + errors.Join(tried...).Error() + "); set tls.ca_file to a writable path"
	return nil
}

// candidateDirs are where a CA file may go by default, in order: the
// temporary directory, then marketplace-sandbox under the user cache
// directory (made if missing; the temporary directory never is).
func candidateDirs() []string {
	dirs := []string{os.TempDir()}
	if cache, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(cache, "marketplace-sandbox")
		if os.MkdirAll(dir, 0o755) == nil {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// writeAtomically writes b to path through a temporary file in the same
// directory, so a client never reads half a certificate.
func writeAtomically(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ca-*.pem")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Close removes the CA file the sandbox put in a directory of its own; a
// file at tls.ca_file stays. The CA dies with the process, so a file left
// behind would only mislead.
func (s *Setup) Close() error {
	if s == nil || s.tempDir == "" {
		return nil
	}
	dir := s.tempDir
	s.tempDir = ""
	return os.RemoveAll(dir)
}
