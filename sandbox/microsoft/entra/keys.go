package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signingKey is the issuer's RSA key with what is published about it.
// Entra publishes each key with a certificate (x5c) and its SHA-1
// thumbprint (x5t), which older libraries match on; the sandbox makes a
// self-signed certificate for its key that depends on the key alone, so a
// pinned key keeps the same x5t and kid across restarts.
type signingKey struct {
	private *rsa.PrivateKey
	cert    *x509.Certificate
	// kid is the RFC 7638 thumbprint of the public key (base64url SHA-256).
	kid string
	// x5t is the base64url SHA-1 thumbprint of the certificate.
	x5t string
}

// minKeyBits is the smallest RSA key accepted: Entra's keys are 2048-bit,
// and smaller ones are refused by modern verifiers.
const minKeyBits = 2048

// processKey is the key of a sandbox without signing_key_file: generated
// once per process (2048-bit generation costs 15 to 100 ms here), so every
// issuer a process builds, and every reset, signs with the same key.
var processKey = sync.OnceValues(func() (*signingKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, minKeyBits)
	if err != nil {
		return nil, fmt.Errorf("entra: generating the signing key: %w", err)
	}
	return newSigningKey(k)
})

// loadSigningKey reads the key of entra.signing_key_file, or takes the
// process key when path is empty.
func loadSigningKey(path string) (*signingKey, error) {
	if path == "" {
		return processKey()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("microsoft.entra.signing_key_file: %w", err)
	}
	k, err := parseRSAKey(data)
	if err != nil {
		return nil, fmt.Errorf("microsoft.entra.signing_key_file %s: %w", path, err)
	}
	return newSigningKey(k)
}

// parseRSAKey decodes the first PEM block of data as a PKCS#1 ("RSA
// PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") RSA key of at least 2048 bits.
func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS#1 key: %w", err)
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS#8 key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T, not RSA", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("PEM block %q is not an RSA private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if bits := key.N.BitLen(); bits < minKeyBits {
		return nil, fmt.Errorf("RSA key has %d bits, at least %d are needed", bits, minKeyBits)
	}
	return key, nil
}

// newSigningKey derives the key's certificate and identifiers.
func newSigningKey(k *rsa.PrivateKey) (*signingKey, error) {
	jwk := jose.JSONWebKey{Key: &k.PublicKey}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("entra: key thumbprint: %w", err)
	}
	cert, err := selfSignedCert(k, thumb)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(cert.Raw)
	return &signingKey{
		private: k,
		cert:    cert,
		kid:     base64.RawURLEncoding.EncodeToString(thumb),
		x5t:     base64.RawURLEncoding.EncodeToString(sum[:]),
	}, nil
}

// selfSignedCert makes a certificate that depends only on the key: fixed
// validity, a serial taken from the key's thumbprint, and an RSA PKCS#1
// v1.5 signature, which is deterministic.
func selfSignedCert(k *rsa.PrivateKey, thumb []byte) (*x509.Certificate, error) {
	serial := sha256.Sum256(thumb)
	tmpl := &x509.Certificate{
		SerialNumber:       new(big.Int).SetBytes(serial[:16]),
		Subject:            pkix.Name{CommonName: "marketplace-sandbox Entra token signing"},
		NotBefore:          time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:           time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, fmt.Errorf("entra: signing certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// jwk is the key as the JWKS endpoints publish it: Entra's members kty,
// use, kid, x5t, n, e, x5c (and issuer on the v2 endpoint), plus alg.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Alg    string   `json:"alg"`
	Issuer string   `json:"issuer,omitempty"`
}

// publicJWK is the published form of the key; issuer is set on the v2
// key set, as Entra does, and left out of the v1 one.
func (k *signingKey) publicJWK(issuer string) jwk {
	pub := k.private.PublicKey
	return jwk{
		Kty:    "RSA",
		Use:    "sig",
		Kid:    k.kid,
		X5t:    k.x5t,
		N:      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		X5c:    []string{base64.StdEncoding.EncodeToString(k.cert.Raw)},
		Alg:    "RS256",
		Issuer: issuer,
	}
}
