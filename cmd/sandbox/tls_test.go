package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

func TestTLSShortFlag(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"--tls"}, []string{"--tls-enabled"}},
		{[]string{"-tls=false", "--addr", ":1"}, []string{"--tls-enabled=false", "--addr", ":1"}},
		{[]string{"--tls-cert", "c.pem", "--tls"}, []string{"--tls-cert", "c.pem", "--tls-enabled"}},
		{[]string{"--addr", "tls"}, []string{"--addr", "tls"}},
		{[]string{"--", "--tls"}, []string{"--", "--tls"}},
	}
	for _, c := range cases {
		if got := expandTLSFlag(c.in); !slices.Equal(got, c.want) {
			t.Errorf("expandTLSFlag(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestGeneratedCertificateAlsoNamesTheHostAndTheListenAddress(t *testing.T) {
	name := func() (string, error) { return "box", nil }
	cases := []struct {
		addr     net.Addr
		hostname func() (string, error)
		want     []string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8443}, name, []string{"box"}},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 8443}, name, []string{"box", "10.0.0.7"}},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}, func() (string, error) { return "", errors.New("none") }, []string{"127.0.0.1"}},
	}
	for _, c := range cases {
		if got := certificateHosts(c.addr, c.hostname); !slices.Equal(got, c.want) {
			t.Errorf("%v: %v, want %v", c.addr, got, c.want)
		}
	}
}

// trusting is an HTTPS client that trusts only the CA in pemFile.
func trusting(t *testing.T, pemFile string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", pemFile)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
}

func caLines(stdout string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "CA certificate") {
			out = append(out, line)
		}
	}
	return out
}

func TestServeWithTLSGeneratesATrustedCertificateAndNamesTheCA(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	s := startServer(t, nil, "--tls", "--tls-ca-file", caFile)
	defer s.stop()
	if !strings.HasPrefix(s.url, "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.url)
	}
	if got := caLines(s.stdout.String()); len(got) != 1 || got[0] != "CA certificate: "+caFile {
		t.Errorf("CA lines %q, want one naming %s:\n%s", got, caFile, s.stdout)
	}
	client := trusting(t, caFile)
	resp, err := client.Get(s.url + "/_sandbox/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/1.1" {
		t.Errorf("health over TLS: %s %s", resp.Status, resp.Proto)
	}
	addr := strings.TrimPrefix(s.url, "https://")
	if err := run(context.Background(), []string{"healthcheck", "--tls", "--addr", addr}, settings.Environment{}, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck --tls: %v", err)
	}

	t.Run("net/http's own refusal over TLS is in the envelope", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, client.Transport.(*http.Transport).TLSClientConfig)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error     string `json:"error"`
			RequestID string `json:"request_id"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 400 || body.Error != "bad_request" || body.RequestID == "" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %+v %v", resp.Status, body, resp.Header)
		}
	})
	t.Run("plain HTTP to the TLS port", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/_sandbox/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"error":"https_required"`) {
			t.Errorf("%s %s", resp.Status, b)
		}
	})
}

func TestTheDefaultCAFileIsTemporaryAndRemovedAtExit(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := startServer(t, nil, "--tls")
	lines := caLines(s.stdout.String())
	if len(lines) != 1 {
		t.Fatalf("CA lines %q", lines)
	}
	path := strings.TrimPrefix(lines[0], "CA certificate: ")
	if !strings.HasPrefix(path, tmp) {
		t.Errorf("CA file %s not under TMPDIR %s", path, tmp)
	}
	if resp, err := trusting(t, path).Get(s.url + "/_sandbox/health"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the CA file outlived the sandbox: %v", err)
	}
}

func TestServeWithAGivenCertificatePrintsNoCA(t *testing.T) {
	ca, err := tlscert.NewAuthority(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, _ := x509.MarshalECPrivateKey(pair.PrivateKey.(*ecdsa.PrivateKey))
	certFile, keyFile, caFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "ca.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	os.WriteFile(caFile, ca.PEM, 0o600)
	s := startServer(t, map[string]string{"SANDBOX_TLS_CERT": certFile, "SANDBOX_TLS_KEY": keyFile}, "--tls")
	defer s.stop()
	if got := caLines(s.stdout.String()); len(got) != 0 {
		t.Errorf("CA lines with a given certificate: %q", got)
	}
	resp, err := trusting(t, caFile).Get(strings.Replace(s.url, "127.0.0.1", "localhost", 1) + "/_sandbox/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestBadTLSSettingsAreRefusedBeforeServing(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a cert without a key", []string{"--tls", "--tls-cert", filepath.Join(dir, "c.pem")}, "give both files or neither"},
		{"missing files", []string{"--tls", "--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "k.pem")}, "c.pem: no such file"},
		{"names without TLS", []string{"--tls-hosts", "box"}, "tls.hosts: is set but tls.enabled is false"},
		{"a CA file in a missing directory", []string{"--tls", "--tls-ca-file", filepath.Join(dir, "no", "ca.pem")}, "tls.ca_file"},
		{"a bad name", []string{"--tls", "--tls-hosts", "ok,not a name"}, `tls.hosts[1]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, c.args...), settings.Environment{}, io.Discard, io.Discard)
			var usage usageError
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &usage) {
				t.Errorf("err = %v, want a usage error mentioning %q", err, c.want)
			}
		})
	}
}

// TestHandlersSeeRTLSBeneathTheEnvelopeWrapper builds the serving stack of
// serveUntilDone around a probe: TLS beneath sandbox.Listener, r.TLS
// restored for the handler.
func TestHandlersSeeRTLSBeneathTheEnvelopeWrapper(t *testing.T) {
	sb, err := sandbox.New(sandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.DefaultConfig()
	cfg.TLS = tlscert.Settings{Enabled: true, CAFile: filepath.Join(t.TempDir(), "ca.pem")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	setup, err := prepareTLS(cfg, ln.Addr())
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || !r.TLS.HandshakeComplete {
			seen <- "no TLS state"
			return
		}
		seen <- "tls " + r.TLS.ServerName
	})}
	go srv.Serve(sb.Listener(serveTLSOn(srv, ln, setup, slog.New(slog.DiscardHandler))))
	defer srv.Close()
	resp, err := trusting(t, setup.CAFile).Get("https://localhost:" + strings.Split(ln.Addr().String(), ":")[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := <-seen; got != "tls localhost" {
		t.Errorf("the handler saw %q", got)
	}
}
