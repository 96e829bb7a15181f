package tlscert_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// rewritingListener stands for sandbox.Listener: it wraps each connection
// (reachable through NetConn) and rewrites net/http's own plain-text 400,
// which it can only recognise if it sees plain text.
type rewritingListener struct{ net.Listener }

func (l rewritingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rewritingConn{c}, nil
}

type rewritingConn struct{ net.Conn }

func (c *rewritingConn) NetConn() net.Conn { return c.Conn }

func (c *rewritingConn) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain")) {
		body := `{"error":"bad_request","rewritten":true}`
		if _, err := io.WriteString(c.Conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+
			strconv.Itoa(len(body))+"\r\n\r\n"+body); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// serveTLS serves h as cmd/sandbox does: TLS beneath the rewriting wrapper,
// r.TLS restored. It returns the address and a pool trusting the CA.
func serveTLS(t *testing.T, h http.Handler) (string, *x509.CertPool) {
	t.Helper()
	setup, err := tlscert.New(tlscert.Settings{Enabled: true, CAFile: t.TempDir() + "/ca.pem"}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: tlscert.RestoreState(h), ConnContext: tlscert.ConnContext, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(rewritingListener{tlscert.NewListener(ln, setup.Config)})
	t.Cleanup(func() { srv.Close() })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(setup.CAPEM)
	return ln.Addr().String(), pool
}

// echoTLS answers what the handler saw of the connection.
var echoTLS = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(map[string]any{"tls": r.TLS != nil, "proto": r.Proto,
		"serverName": func() string {
			if r.TLS == nil {
				return ""
			}
			return r.TLS.ServerName
		}()})
})

func TestHandlersSeeTLSOverHTTP11EvenWhenTheClientOffersHTTP2(t *testing.T) {
	addr, pool := serveTLS(t, echoTLS)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	_, port, _ := net.SplitHostPort(addr)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			resp, err := client.Get("https://" + net.JoinHostPort(host, port) + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]any
			json.NewDecoder(resp.Body).Decode(&got)
			if got["tls"] != true || got["proto"] != "HTTP/1.1" || resp.TLS.NegotiatedProtocol != "http/1.1" {
				t.Errorf("handler saw %v; ALPN %q", got, resp.TLS.NegotiatedProtocol)
			}
		})
	}
}

func TestNetHTTPsOwnRefusalsReachTheWrapperAsPlainText(t *testing.T) {
	addr, pool := serveTLS(t, echoTLS)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"rewritten":true`) {
		t.Errorf("%d %s: the wrapper did not rewrite net/http's refusal", resp.StatusCode, body)
	}
}

func TestPlainHTTPToTheTLSPortIsToldToUseHTTPS(t *testing.T) {
	addr, _ := serveTLS(t, echoTLS)
	for _, method := range []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		t.Run(method, func(t *testing.T) {
			req, _ := http.NewRequest(method, "http://"+addr+"/_sandbox/health", nil)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if method != "HEAD" {
				json.NewDecoder(resp.Body).Decode(&body)
			}
			if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if method != "HEAD" && (body.Error != tlscert.PlainHTTPError || !strings.Contains(body.Description, "https://")) {
				t.Errorf("body %+v", body)
			}
		})
	}
}

func TestBrokenHandshakesCloseTheConnectionAndServingGoesOn(t *testing.T) {
	addr, pool := serveTLS(t, echoTLS)
	cases := []struct {
		name string
		dial func() error
	}{
		{"garbage", func() error {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer c.Close()
			c.Write([]byte("\x00\x01\x02\x03\x04\x05 not TLS, not HTTP\r\n\r\n"))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Read(make([]byte, 64))
			if n != 0 || err == nil {
				t.Errorf("read %d bytes (%v); want the connection closed", n, err)
			}
			return nil
		}},
		{"a client that does not trust the CA", func() error {
			_, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost"})
			if err == nil {
				t.Error("an untrusting client connected")
			}
			return nil
		}},
		{"a name the certificate lacks", func() error {
			_, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "example.com"})
			if err == nil {
				t.Error("connected for example.com")
			}
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.dial(); err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			resp, err := client.Get("https://localhost:" + strings.Split(addr, ":")[1] + "/")
			if err != nil {
				t.Fatalf("serving stopped: %v", err)
			}
			resp.Body.Close()
		})
	}
}

func TestCAHandlerServesThePEM(t *testing.T) {
	pem := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			w := httptest.NewRecorder()
			tlscert.CAHandler(pem).ServeHTTP(w, httptest.NewRequest(method, "/_sandbox/ca.pem", nil))
			if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-pem-file" || w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("%d %v", w.Code, w.Header())
			}
			want := string(pem)
			if method == "HEAD" {
				want = ""
			}
			if w.Body.String() != want {
				t.Errorf("body %q", w.Body)
			}
		})
	}
}
