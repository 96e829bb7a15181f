package tlscert_test

import (
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func newAuthority(t *testing.T) *tlscert.Authority {
	t.Helper()
	ca, err := tlscert.NewAuthority(now)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestTheGeneratedCAIsNamedAndSignsOnlyServerCertificates(t *testing.T) {
	ca := newAuthority(t)
	block, _ := pem.Decode(ca.PEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("PEM is not one certificate: %q", ca.PEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "marketplace-sandbox local CA" || !cert.IsCA || !cert.MaxPathLenZero {
		t.Errorf("CA: name %q, IsCA %v, MaxPathLenZero %v", cert.Subject.CommonName, cert.IsCA, cert.MaxPathLenZero)
	}
	if !cert.NotBefore.Before(now) || !cert.NotAfter.After(now.AddDate(1, 0, 0)) {
		t.Errorf("validity %s – %s around %s", cert.NotBefore, cert.NotAfter, now)
	}
}

func TestServerCertificateVerifiesForItsNamesOnly(t *testing.T) {
	ca := newAuthority(t)
	pair, err := ca.Issue([]string{"host.docker.internal", "10.1.2.3"}, now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	cases := []struct {
		name  string
		valid bool
	}{
		{"localhost", true}, {"127.0.0.1", true}, {"::1", true},
		{"host.docker.internal", true}, {"10.1.2.3", true},
		{"example.com", false}, {"10.1.2.4", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pair.Leaf.Verify(x509.VerifyOptions{DNSName: c.name, Roots: roots, CurrentTime: now,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if (err == nil) != c.valid {
				t.Errorf("verify: %v, want valid %v", err, c.valid)
			}
		})
	}
	if _, err := pair.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, CurrentTime: now.AddDate(2, 0, 0)}); err == nil {
		t.Error("the server certificate is still valid in two years")
	}
}

func TestNamesAddTheDefaultsOnceEach(t *testing.T) {
	got := tlscert.Names([]string{"LOCALHOST", "0:0:0:0:0:0:0:1", "box", "box", "127.0.0.1"})
	want := []string{"localhost", "127.0.0.1", "::1", "box"}
	if !slices.Equal(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
}
