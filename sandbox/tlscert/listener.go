package tlscert

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HandshakeTimeout bounds a TLS handshake, beside the read deadline the
// HTTP server sets: a client that opens a connection and says nothing must
// not hold it.
const HandshakeTimeout = 10 * time.Second

// NewListener serves TLS on the connections ln accepts, handshaking on the
// connection's first read in its own goroutine (as net/http does), never in
// Accept.
//
// Why not http.Server.ServeTLS: the sandbox wraps its listener
// (sandbox.Listener) to turn the plain-text refusals net/http writes by
// itself into its JSON envelope, and those writes go to the connection
// net/http was given. Under ServeTLS that connection is a *tls.Conn and the
// wrapper, below it, would see ciphertext; above it, net/http no longer sees
// a *tls.Conn and does not handshake, set r.TLS or speak HTTP/2. So TLS is
// served here, beneath the wrapper:
//
//	srv.ConnContext = tlscert.ConnContext
//	srv.Handler = tlscert.RestoreState(handler)
//	srv.Serve(sb.Listener(tlscert.NewListener(ln, setup.Config)))
//
// The wrapper reads and writes plain HTTP; ConnContext and RestoreState
// give handlers r.TLS as net/http would. HTTP/2 is not offered (ALPN
// http/1.1 only): net/http speaks it only on a *tls.Conn, the refusals the
// wrapper rewrites are HTTP/1's, and every client the sandbox serves speaks
// HTTP/1.1.
//
// A client that speaks plain HTTP to this port gets a plain-HTTP 400 in
// JSON telling it to use https://, instead of a reset.
func NewListener(ln net.Listener, config *tls.Config, opts ...Option) net.Listener {
	l := &listener{Listener: ln, config: config, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Option configures NewListener.
type Option func(*listener)

// WithLogger logs failed handshakes (at debug) and plain HTTP sent to the
// TLS port (at warn).
func WithLogger(log *slog.Logger) Option { return func(l *listener) { l.log = log } }

type listener struct {
	net.Listener
	config *tls.Config
	log    *slog.Logger
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: tls.Server(c, l.config), raw: c, log: l.log}, nil
}

// Conn is a server-side TLS connection that handshakes on first use. It
// embeds *tls.Conn, so NetConn reaches the socket (the reset fault sets
// SO_LINGER on it) and ConnectionState the negotiated state.
type Conn struct {
	*tls.Conn
	raw  net.Conn
	log  *slog.Logger
	once sync.Once
	err  error
}

// Read handshakes first; a failed handshake reads as a read error, which
// net/http closes the connection on without writing anything.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// Write handshakes first, like Read.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

func (c *Conn) handshake() error {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
		defer cancel()
		err := c.HandshakeContext(ctx)
		if err == nil {
			return
		}
		var rec tls.RecordHeaderError
		if errors.As(err, &rec) && rec.Conn != nil && looksLikeHTTP(rec.RecordHeader) {
			c.answerPlainHTTP(rec.Conn)
		} else {
			c.log.Debug("TLS handshake failed", "remote", c.raw.RemoteAddr().String(), "error", err)
		}
		// net/http stays silent on a read error (Op "read"); anything
		// else it would answer with a 400 of its own, into a dead TLS
		// connection.
		c.err = &net.OpError{Op: "read", Net: "tcp", Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: err}
	})
	return c.err
}

// looksLikeHTTP reports whether the first five bytes of a connection are
// the start of an HTTP/1 request line rather than a TLS record.
func looksLikeHTTP(h [5]byte) bool {
	switch string(h[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "PATCH", "DELET", "CONNE", "TRACE", "GET h":
		return true
	}
	return false
}

// PlainHTTPError is the error code of the answer to plain HTTP on the TLS
// port.
const PlainHTTPError = "https_required"

// answerPlainHTTP tells a plain-HTTP client, in plain HTTP, to use HTTPS,
// in the shape of the sandbox's neutral envelope.
func (c *Conn) answerPlainHTTP(raw net.Conn) {
	c.log.Warn("plain HTTP sent to the HTTPS port", "remote", raw.RemoteAddr().String())
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{PlainHTTPError, "This port serves HTTPS (tls.enabled is on): call https://" + raw.LocalAddr().String() + "/… instead of http://, " +
		"trusting the sandbox's CA (GET /_sandbox/ca.pem over HTTPS, or the file named at start)."})
	body = append(body, '\n')
	var out bytes.Buffer
	out.WriteString("HTTP/1.0 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	out.Write(body)
	_ = raw.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = raw.Write(out.Bytes())
}

type connKey struct{}

// ConnContext, as http.Server.ConnContext, remembers the TLS connection
// under c (c itself, or one reached through NetConn) for RestoreState.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	for c != nil {
		if tc, ok := c.(*Conn); ok {
			return context.WithValue(ctx, connKey{}, tc)
		}
		inner, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = inner.NetConn()
	}
	return ctx
}

// RestoreState sets r.TLS, which net/http leaves nil on a connection it
// did not see as a *tls.Conn, from the connection ConnContext remembered.
// Handlers then tell HTTPS from HTTP as usual (r.TLS != nil → https://).
func RestoreState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tc, ok := r.Context().Value(connKey{}).(*Conn); ok && r.TLS == nil {
			state := tc.ConnectionState()
			r = r.WithContext(r.Context()) // a shallow copy: r belongs to net/http
			r.TLS = &state
		}
		next.ServeHTTP(w, r)
	})
}
