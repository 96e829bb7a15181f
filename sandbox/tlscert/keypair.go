package tlscert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// LoadKeyPair reads a server certificate (with its chain, leaf first) and
// its private key from PEM files, and refuses, naming the file and what is
// wrong: a missing or unreadable file, one without PEM data, a key that is
// not the certificate's, or a certificate not valid at now.
func LoadKeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	certPEM, err := readPEM("tls.cert", certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readPEM("tls.key", keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.cert %s, tls.key %s: %w", certFile, keyFile, explainPair(err))
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("tls.cert %s: %w", certFile, err)
		}
		pair.Leaf = leaf
	}
	switch {
	case now.After(leaf.NotAfter):
		return tls.Certificate{}, fmt.Errorf("tls.cert %s: the certificate expired at %s (now %s)",
			certFile, leaf.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return tls.Certificate{}, fmt.Errorf("tls.cert %s: the certificate is not valid before %s (now %s)",
			certFile, leaf.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return pair, nil
}

// readPEM reads one of the pair's files, which must exist and be a file.
func readPEM(key, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s %s: no such file", key, path)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", key, path, err)
	case len(b) == 0:
		return nil, fmt.Errorf("%s %s: the file is empty", key, path)
	}
	return b, nil
}

// explainPair turns crypto/tls's terse errors into what to check.
func explainPair(err error) error {
	switch msg := err.Error(); msg {
	case "tls: private key does not match public key":
		return errors.New("the key is not the certificate's private key (a mismatched pair)")
	case "tls: failed to find any PEM data in certificate input":
		return errors.New("tls.cert holds no PEM CERTIFICATE block")
	case "tls: failed to find any PEM data in key input":
		return errors.New("tls.key holds no PEM PRIVATE KEY block")
	case "tls: found a certificate rather than a key in the PEM for the private key":
		return errors.New("tls.key holds a certificate, not a private key (are tls.cert and tls.key swapped?)")
	}
	if strings.Contains(err.Error(), "PEM inputs may have been switched") {
		return errors.New("tls.cert holds a private key, not a certificate (are tls.cert and tls.key swapped?)")
	}
	return err
}
