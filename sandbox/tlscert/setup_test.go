package tlscert_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

func TestGeneratedSetupWritesTheCAWhereAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	s, err := tlscert.New(tlscert.Settings{Enabled: true, CAFile: path, Hosts: []string{"box.test"}}, []string{"10.9.8.7"}, now)
	if err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadFile(path)
	if s.CAFile != path || !bytes.Equal(written, s.CAPEM) || len(s.CAPEM) == 0 {
		t.Errorf("CAFile %q; file holds the CA: %v", s.CAFile, bytes.Equal(written, s.CAPEM))
	}
	leaf := s.Config.Certificates[0].Leaf
	if !strings.Contains(strings.Join(leaf.DNSNames, " "), "box.test") || len(leaf.IPAddresses) != 3 {
		t.Errorf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if got := s.Config.NextProtos; len(got) != 1 || got[0] != "http/1.1" {
		t.Errorf("ALPN %v, want http/1.1 only", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a CA file the user named was removed: %v", err)
	}
}

func TestGeneratedSetupFallsBackWhenThereIsNoTemporaryDirectory(t *testing.T) {
	cache := t.TempDir()
	cases := []struct {
		name, tmp, cache, home string
		wantUnder              string // "" when no file can be written
	}{
		{"the temporary directory", t.TempDir(), "", "", "tmp"},
		{"no temporary directory: the user cache", filepath.Join(cache, "missing"), cache, "", "cache"},
		{"neither (FROM scratch)", filepath.Join(cache, "missing"), "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TMPDIR", c.tmp)
			t.Setenv("XDG_CACHE_HOME", c.cache)
			t.Setenv("HOME", c.home)
			s, err := tlscert.New(tlscert.Settings{Enabled: true}, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			switch c.wantUnder {
			case "":
				if s.CAFile != "" || !strings.Contains(s.CANote, "not written to a file") || !strings.Contains(s.CANote, "tls.ca_file") {
					t.Errorf("CAFile %q, note %q", s.CAFile, s.CANote)
				}
				return
			case "tmp":
				if !strings.HasPrefix(s.CAFile, c.tmp) {
					t.Errorf("CAFile %q not under %s", s.CAFile, c.tmp)
				}
			case "cache":
				if !strings.HasPrefix(s.CAFile, filepath.Join(cache, "marketplace-sandbox")) {
					t.Errorf("CAFile %q not under the cache %s", s.CAFile, cache)
				}
			}
			if b, err := os.ReadFile(s.CAFile); err != nil || !bytes.Equal(b, s.CAPEM) {
				t.Fatalf("CA file: %v", err)
			}
			s.Close()
			if _, err := os.Stat(filepath.Dir(s.CAFile)); !os.IsNotExist(err) {
				t.Errorf("Close left the directory it made: %v", err)
			}
		})
	}
}

func TestSetupRefusals(t *testing.T) {
	certFile, keyFile, _ := pairFiles(t)
	cases := []struct {
		name string
		s    tlscert.Settings
		want string
	}{
		{"off", tlscert.Settings{}, "tls.enabled is false"},
		{"invalid", tlscert.Settings{Enabled: true, Cert: certFile}, "give both"},
		{"an unwritable CA file", tlscert.Settings{Enabled: true, CAFile: filepath.Join(t.TempDir(), "no", "such", "dir", "ca.pem")}, "tls.ca_file"},
		{"a missing key", tlscert.Settings{Enabled: true, Cert: certFile, Key: keyFile + ".nope"}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := tlscert.New(c.s, nil, now); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want mention of %q", err, c.want)
			}
		})
	}
	s, err := tlscert.New(tlscert.Settings{Enabled: true, Cert: certFile, Key: keyFile}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.CAPEM != nil || s.CAFile != "" {
		t.Error("a given certificate has no CA to serve or write")
	}
}
