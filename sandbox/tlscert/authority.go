package tlscert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
)

// CAName is the common name of every CA the sandbox generates, so that a
// person who finds it in a trust store knows where it came from.
const CAName = "marketplace-sandbox local CA"

// Lifetimes of what the sandbox generates. Both start an hour early, for
// clients whose clocks lag. A server certificate stays under the 398 days
// some clients accept at most; a new CA is made at every start, so neither
// needs to last longer.
const (
	caLifetime     = 2 * 365 * 24 * time.Hour
	serverLifetime = 397 * 24 * time.Hour
	backdate       = time.Hour
)

// DefaultHosts are the names every generated server certificate is valid
// for: what a client on the same machine dials.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// Authority is a CA generated in memory. Its private key is never written
// anywhere: it lives as long as the process, and so does trust in it.
type Authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	// PEM is the CA certificate, PEM-encoded, as clients install it.
	PEM []byte
}

// NewAuthority generates a CA valid from now (the wall clock: clients
// check certificates against theirs, not against the sandbox's clock).
// ECDSA P-256 keys take well under a millisecond to make and every TLS
// client of the last decade verifies them.
func NewAuthority(now time.Time) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CAName, Organization: []string{"marketplace-sandbox"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		// It signs server certificates only, never another CA.
		MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Certificate is the CA certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// Issue makes a server certificate for hosts (DNS names or IP addresses;
// DefaultHosts are always added) valid from now.
func (a *Authority) Issue(hosts []string, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating the server key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return tls.Certificate{}, err
	}
	names := Names(hosts)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"marketplace-sandbox"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(serverLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range names {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("signing the server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Names is the list a generated certificate covers: DefaultHosts, then
// hosts, without repeats (IP addresses compared as addresses, names without
// regard to case).
func Names(hosts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range slices.Concat(DefaultHosts, hosts) {
		key := strings.ToLower(strings.TrimSuffix(h, "."))
		if ip := net.ParseIP(h); ip != nil {
			key = ip.String()
		}
		if h == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, h)
	}
	return out
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("choosing a serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}
