package tlscert_test

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

func TestSettingsValidate(t *testing.T) {
	many := make([]string, tlscert.MaxHosts+1)
	for i := range many {
		many[i] = "h.example"
	}
	cases := []struct {
		name string
		s    tlscert.Settings
		want []string // substrings of the error; none means valid
	}{
		{"off", tlscert.DefaultSettings(), nil},
		{"generated", tlscert.Settings{Enabled: true}, nil},
		{"generated with names and a CA file", tlscert.Settings{Enabled: true, Hosts: []string{"host.docker.internal", "10.0.0.7", "*.sandbox.test", "fe80::1"}, CAFile: "/x/ca.pem"}, nil},
		{"given", tlscert.Settings{Enabled: true, Cert: "c.pem", Key: "k.pem"}, nil},
		{"settings while off", tlscert.Settings{Cert: "c", Key: "k", CAFile: "f", Hosts: []string{"h"}},
			[]string{"tls.cert: is set but tls.enabled is false", "tls.key:", "tls.ca_file:", "tls.hosts:"}},
		{"a cert without its key", tlscert.Settings{Enabled: true, Cert: "c.pem"}, []string{"tls.cert, tls.key: give both"}},
		{"a key without its cert", tlscert.Settings{Enabled: true, Key: "k.pem"}, []string{"tls.cert, tls.key: give both"}},
		{"a CA file with a given cert", tlscert.Settings{Enabled: true, Cert: "c", Key: "k", CAFile: "f"}, []string{"tls.ca_file: only a generated CA"}},
		{"names with a given cert", tlscert.Settings{Enabled: true, Cert: "c", Key: "k", Hosts: []string{"h"}}, []string{"tls.hosts: names go into a generated"}},
		{"not a name", tlscert.Settings{Enabled: true, Hosts: []string{"ok.example", "has space", "", "-dash.example", "a..b"}},
			[]string{`tls.hosts[1]: "has space"`, `tls.hosts[2]: ""`, `tls.hosts[3]`, `tls.hosts[4]`}},
		{"too many names", tlscert.Settings{Enabled: true, Hosts: many}, []string{"at most 100"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
