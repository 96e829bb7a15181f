package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// controlGuard decides who may call the control API
// (docs/control-security.md). Three threats, three checks, on every path
// controlauth.Guarded names and on no other (the marketplace APIs are the
// partner's and authenticate themselves):
//
//   - Someone who reaches the port: with control_token set, a request
//     needs "Authorization: Bearer <token>" (401 otherwise).
//   - DNS rebinding (a page whose name now points at 127.0.0.1): without a
//     token, the Host header must be on the allow list (403 otherwise). A
//     set token makes the check moot, as the attacker's page does not know
//     it, so a team's sandbox behind a DNS name needs no control_hosts.
//   - Cross-site requests from a browser (CSRF): a state-changing request
//     that a browser marks as cross-site is refused (Go's
//     http.CrossOriginProtection: Sec-Fetch-Site, else Origin against
//     Host), and so is any browser write labelled as an HTML form or
//     text/plain, the bodies a page may send without a CORS preflight.
//     Requests from programs (curl, SDKs, CI) carry neither Origin nor
//     Sec-Fetch-Site and pass, so `curl -d '{...}'` keeps working.
type controlGuard struct {
	// digest is the SHA-256 of the token (nil: no token), compared in
	// constant time with the presented one's: hashing first makes the
	// comparison's time independent of the token's length as well.
	digest  *[sha256.Size]byte
	hosts   hostAllowList
	origins *http.CrossOriginProtection
}

func newControlGuard(cfg Config) *controlGuard {
	g := &controlGuard{hosts: newHostAllowList(cfg.Addr, cfg.ControlHosts), origins: http.NewCrossOriginProtection()}
	if cfg.ControlToken != "" {
		d := sha256.Sum256([]byte(cfg.ControlToken))
		g.digest = &d
	}
	return g
}

// refusal is why the guard refused a request: an answer in the control
// API's envelope.
type refusal struct {
	status      int
	code        string
	description string
}

// check returns nil for a request the control API may serve.
func (g *controlGuard) check(r *http.Request) *refusal {
	if g.digest != nil {
		if ref := g.checkToken(r); ref != nil {
			return ref
		}
	} else if !g.hosts.allows(r.Host) {
		return &refusal{http.StatusForbidden, "host_not_allowed", "The control API does not answer requests for host " + quoteShort(r.Host) +
			" (a defence against DNS rebinding): add it to the control_hosts setting (SANDBOX_CONTROL_HOSTS), or set control_token."}
	}
	if !fromBrowser(r) || safeMethod(r.Method) {
		return nil
	}
	if err := g.origins.Check(r); err != nil {
		return &refusal{http.StatusForbidden, "cross_origin_refused", "The control API refuses state-changing requests a browser sends from another site (" +
			err.Error() + "); call it from a program or from the sandbox's own origin."}
	}
	if formLike(r.Header.Get("Content-Type")) {
		return &refusal{http.StatusUnsupportedMediaType, "unsupported_media_type", "The control API takes JSON: a browser's " +
			r.Header.Get("Content-Type") + " body is what a web page can send to it without asking, so it is refused. Send application/json."}
	}
	return nil
}

// checkToken wants "Bearer <token>" (the scheme in any case, RFC 9110
// §11.1) with the configured token.
func (g *controlGuard) checkToken(r *http.Request) *refusal {
	header := r.Header.Get("Authorization")
	if header == "" {
		return &refusal{http.StatusUnauthorized, "control_token_required",
			"The control API needs the control token: send the header Authorization: Bearer TOKEN, with the control_token setting's value."}
	}
	scheme, presented, _ := strings.Cut(header, " ")
	d := sha256.Sum256([]byte(strings.TrimSpace(presented)))
	if !strings.EqualFold(scheme, controlauth.Scheme) || subtle.ConstantTimeCompare(d[:], g.digest[:]) != 1 {
		return &refusal{http.StatusUnauthorized, "invalid_control_token",
			"The control token sent is not this sandbox's control_token (send the header Authorization: Bearer TOKEN, with that setting's value)."}
	}
	return nil
}

// fromBrowser reports whether r carries the headers browsers add to
// requests a page makes (and programs do not).
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// formLike reports whether a Content-Type is one of the three a page may
// send cross-origin without a preflight (the CORS "simple request" types).
func formLike(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch mt {
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return true
	}
	return false
}

// guardControl refuses control requests the guard does not let through;
// everything else passes untouched. It runs after normalizePath, so that
// /api/../_sandbox/reset is guarded like /_sandbox/reset.
func (s *Sandbox) guardControl(next http.Handler) http.Handler {
	g := newControlGuard(s.cfg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !controlauth.Guarded(r.URL.EscapedPath()) {
			next.ServeHTTP(w, r)
			return
		}
		ref := g.check(r)
		if ref == nil {
			next.ServeHTTP(w, r)
			return
		}
		if ref.status == http.StatusUnauthorized {
			challenge := `Bearer realm="marketplace-sandbox control API"`
			if ref.code == "invalid_control_token" {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
		s.log.WarnContext(r.Context(), "control request refused", "reason", ref.code, "method", r.Method, "path", r.URL.Path,
			"host", r.Host, "remote", r.RemoteAddr, "request_id", requestid.From(r.Context()))
		writeControlError(w, r, ref.status, ref.code, ref.description)
	})
}
