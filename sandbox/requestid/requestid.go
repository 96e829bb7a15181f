// Package requestid gives every request an id that travels through the
// context into logs and error bodies, and back to the client in the
// X-Request-Id header, as GitLab's and Microsoft's services both answer.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header is the header that carries the id in both directions.
const Header = "X-Request-Id"

type ctxKey struct{}

// From returns the request id stored in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// With returns a context carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// New makes a fresh random id.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Option configures Middleware.
type Option func(*middleware)

type middleware struct {
	headers func(*http.Request) []string
}

// WithHeaders names, per request, the headers besides X-Request-Id that
// carry the id in the API the request is for (Microsoft's fulfillment API
// uses x-ms-requestid). The id is read from the first of them that holds
// an acceptable one, then from X-Request-Id, and is answered in all of
// them; an id made for such a request is a UUID, as those APIs' are.
func WithHeaders(f func(*http.Request) []string) Option {
	return func(m *middleware) { m.headers = f }
}

// Middleware keeps a well-formed incoming request id (so a partner can
// correlate its own logs) or makes a new one, sets it on the response and
// stores it in the request's context.
func Middleware(next http.Handler, opts ...Option) http.Handler {
	var m middleware
	for _, opt := range opts {
		opt(&m)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var extra []string
		if m.headers != nil {
			extra = m.headers(r)
		}
		id := ""
		for _, name := range extra {
			if v := r.Header.Get(name); Acceptable(v) {
				id = v
				break
			}
		}
		if id == "" {
			id = r.Header.Get(Header)
		}
		if !Acceptable(id) {
			id = New()
			if len(extra) > 0 {
				id = NewUUID()
			}
		}
		// One value slice for every name: nothing changes a header's
		// values in place, and it is one allocation where a Set a name
		// took one each.
		h, value := w.Header(), []string{id}
		h[Header] = value
		for _, name := range extra {
			h[http.CanonicalHeaderKey(name)] = value
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

// NewUUID makes a random (version 4) UUID, the form of Microsoft's ids.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// Written in place: one allocation, where the parts joined took six
	// (Microsoft's calls make two of these per request).
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// Acceptable allows ids of 1 to 128 characters from a safe set (ASCII
// letters, digits, '-', '_' and '.'), so a client cannot inject header or
// log syntax through them.
func Acceptable(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		if !idChars[id[i]] {
			return false
		}
	}
	return true
}

// idChars are the bytes an acceptable id is made of.
var idChars = func() (set [256]bool) {
	for c := range 256 {
		set[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	return set
}()
