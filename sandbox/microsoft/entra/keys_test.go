package entra

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// testKey is one 2048-bit key for every test that needs a second key.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	return testKey()
}

func writePEM(t *testing.T, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newWithKeyFile(t *testing.T, path string) (*Issuer, error) {
	t.Helper()
	s := DefaultSettings()
	s.SigningKeyFile = path
	return New(s, clock.New(clock.WithFrozen(start)), testApps)
}

// A pinned key gives the same kid and x5t in every process, so a token
// signed before a restart verifies after it, whether the file is PKCS#1
// or PKCS#8.
func TestPinnedKeyIsStable(t *testing.T) {
	k := mustKey(t)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	first, err := newWithKeyFile(t, writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)))
	if err != nil {
		t.Fatal(err)
	}
	second, err := newWithKeyFile(t, writePEM(t, "PRIVATE KEY", pkcs8))
	if err != nil {
		t.Fatal(err)
	}
	if first.KeyID() != second.KeyID() || first.key.x5t != second.key.x5t {
		t.Errorf("kid %s / %s, x5t %s / %s", first.KeyID(), second.KeyID(), first.key.x5t, second.key.x5t)
	}
	tok, err := first.SignWebhook(tenantA, appA)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.VerifyWebhook(tok, tenantA, appA); err != nil {
		t.Errorf("token of the first process refused by the second: %v", err)
	}
	proc, _ := New(DefaultSettings(), clock.New(), testApps)
	if proc.KeyID() == first.KeyID() {
		t.Error("the process key equals the pinned key")
	}
	again, _ := New(DefaultSettings(), clock.New(), nil)
	if again.KeyID() != proc.KeyID() {
		t.Error("two issuers of one process have different keys")
	}
}

// A bad key file stops start-up with an error naming the setting and the
// problem.
func TestBadKeyFile(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	_ = os.WriteFile(garbage, []byte("not a key"), 0o600)
	cases := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.pem"), "no such file"},
		{"not PEM", garbage, "no PEM block"},
		{"a certificate", writePEM(t, "CERTIFICATE", []byte{1, 2}), "not an RSA private key"},
		{"EC key", writePEM(t, "PRIVATE KEY", ecDER), "not RSA"},
		{"1024-bit key", writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), "1024 bits"},
		{"corrupt PKCS#1", writePEM(t, "RSA PRIVATE KEY", []byte{0x30, 0x01}), "PKCS#1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newWithKeyFile(t, tc.path)
			if err == nil || !strings.Contains(err.Error(), "signing_key_file") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming signing_key_file and %q", err, tc.want)
			}
		})
	}
}

// Settings out of range are all reported at once.
func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	s := Settings{TokenLifetime: -1, WebhookTokenLifetime: 0, ClockSkew: -1, MaxBodyBytes: 10, TokenClock: "moon"}
	err := s.Validate()
	for _, name := range []string{"token_lifetime", "webhook_token_lifetime", "clock_skew", "max_body_bytes", "token_clock", "webhook_token_clock"} {
		if err == nil || !strings.Contains(err.Error(), "microsoft.entra."+name) {
			t.Errorf("Validate: %v, want %s named", err, name)
		}
	}
	if _, err := New(s, clock.New(), nil); err == nil {
		t.Error("New accepted bad settings")
	}
	if _, err := New(DefaultSettings(), nil, nil); err == nil {
		t.Error("New accepted a nil clock")
	}
}
