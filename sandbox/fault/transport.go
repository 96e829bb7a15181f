package fault

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
)

// malformedBody is what a broken proxy or a half-deployed service might
// answer: it starts like JSON and is not.
const malformedBody = "{\"status\": \"Created\", <html><body>upstream error</body></html>\n"

// breakTransport applies one of the transport effects.
func (in *Injector) breakTransport(w http.ResponseWriter, r *http.Request, next http.Handler, t Transport) {
	switch t {
	case Reset:
		closeConnection(w, true)
	case Empty:
		closeConnection(w, false)
	case Malformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(malformedBody)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(malformedBody))
	case Truncated:
		truncate(w, r, next)
	case Hang:
		in.wait(r.Context(), in.maxHang)
		closeConnection(w, false)
	}
}

// closeConnection takes the connection over and closes it, with SO_LINGER
// 0 when reset is asked so that the peer reads a TCP reset. Where the
// connection cannot be taken over (HTTP/2), the handler is aborted, which
// net/http turns into a broken stream.
func closeConnection(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := underlyingConn(conn).(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// underlyingConn unwraps conn through NetConn, the method *tls.Conn and
// the sandbox's own listener wrapper have, down to the socket.
func underlyingConn(conn net.Conn) net.Conn {
	for {
		wrapped, ok := conn.(interface{ NetConn() net.Conn })
		if !ok {
			return conn
		}
		conn = wrapped.NetConn()
	}
}

// truncate lets next answer into a buffer, then sends its headers with the
// full Content-Length and only the first half of the body before closing
// the connection: the client reads an unexpected EOF.
func truncate(w http.ResponseWriter, r *http.Request, next http.Handler) {
	buf := &bufferedAnswer{header: http.Header{}}
	next.ServeHTTP(buf, r)
	for k, vs := range buf.header {
		w.Header()[k] = vs
	}
	body := buf.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(buf.statusOrOK())
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	closeConnection(w, false)
}

var _ http.ResponseWriter = (*bufferedAnswer)(nil)

// bufferedAnswer is a ResponseWriter that keeps the whole answer.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header { return b.header }

func (b *bufferedAnswer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedAnswer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedAnswer) statusOrOK() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}
