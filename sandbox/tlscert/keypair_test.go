package tlscert_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// pairFiles writes a server certificate and its key as PEM files, and a
// second key that is not the certificate's.
func pairFiles(t *testing.T) (certFile, keyFile, otherKeyFile string) {
	t.Helper()
	ca := newAuthority(t)
	write := func(name string, blocks ...*pem.Block) string {
		var b []byte
		for _, bl := range blocks {
			b = append(b, pem.EncodeToMemory(bl)...)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyBlock := func(k any) *pem.Block {
		der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	pair, err := ca.Issue(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Issue(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	certFile = write("cert.pem", &pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}, &pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate().Raw})
	return certFile, write("key.pem", keyBlock(pair.PrivateKey)), write("other.pem", keyBlock(other.PrivateKey))
}

func TestLoadKeyPairExplainsWhatIsWrong(t *testing.T) {
	certFile, keyFile, otherKey := pairFiles(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o600)
	text := filepath.Join(dir, "text.pem")
	os.WriteFile(text, []byte("not pem\n"), 0o600)
	cases := []struct {
		name, cert, key string
		at              string // "" now, else "past" or "future"
		want            string // "" valid
	}{
		{name: "a good pair, with its chain", cert: certFile, key: keyFile},
		{name: "no certificate file", cert: filepath.Join(dir, "nope.pem"), key: keyFile, want: "tls.cert " + filepath.Join(dir, "nope.pem") + ": no such file"},
		{name: "no key file", cert: certFile, key: filepath.Join(dir, "nope.pem"), want: "tls.key " + filepath.Join(dir, "nope.pem") + ": no such file"},
		{name: "a directory", cert: dir, key: keyFile, want: "tls.cert " + dir},
		{name: "an empty file", cert: certFile, key: empty, want: "the file is empty"},
		{name: "no PEM in the certificate", cert: text, key: keyFile, want: "tls.cert holds no PEM CERTIFICATE block"},
		{name: "no PEM in the key", cert: certFile, key: text, want: "tls.key holds no PEM PRIVATE KEY block"},
		{name: "swapped", cert: keyFile, key: certFile, want: "are tls.cert and tls.key swapped?"},
		{name: "mismatched", cert: certFile, key: otherKey, want: "not the certificate's private key"},
		{name: "expired", cert: certFile, key: keyFile, at: "future", want: "the certificate expired at"},
		{name: "not yet valid", cert: certFile, key: keyFile, at: "past", want: "the certificate is not valid before"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := now
			switch c.at {
			case "future":
				at = now.AddDate(3, 0, 0)
			case "past":
				at = now.AddDate(-1, 0, 0)
			}
			pair, err := tlscert.LoadKeyPair(c.cert, c.key, at)
			if c.want == "" {
				if err != nil || pair.Leaf == nil || len(pair.Certificate) != 2 {
					t.Fatalf("err %v, leaf %v, chain %d", err, pair.Leaf, len(pair.Certificate))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want mention of %q", err, c.want)
			}
		})
	}
}
