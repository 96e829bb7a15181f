package sandbox

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

// middleware wraps the whole router (not with mux's Use, which skips
// unmatched requests) so that 404s and 405s get request ids, logs, the
// journal, faults and the panic guard like everything else. The journal
// sits outside the faults so that it records what the client really got.
func (s *Sandbox) middleware(next http.Handler) http.Handler {
	opts := []journal.RecorderOption{journal.WithIdentify(s.identify)}
	for _, m := range s.markets {
		opts = append(opts, journal.WithSecrets(m.Secrets()), journal.WithCorrelationHeaders(m.RequestIDHeaders()...))
		if c, ok := m.(correlated); ok {
			opts = append(opts, journal.WithCorrelationHeaders(c.CorrelationHeaders()...))
		}
	}
	rec := journal.NewRecorder(s.journal, s.cfg.Journal, s.clock.Now, s.journalAPI, opts...)
	s.recorder = rec
	// normalizePath first: which marketplace a request is for, and so
	// which headers carry its request id, depends on its clean path. The
	// control guard and CORS come before the journal and the faults:
	// what they refuse or answer never reached the sandbox's APIs.
	return normalizePath(requestid.Middleware(s.guardControl(s.cors(s.accessLog(rec.Wrap(s.inject.Wrap(s.recoverPanics(s.refuseBadQuery(next))))))),
		requestid.WithHeaders(s.requestIDHeaders)))
}

// identify names who sent a journaled request, asking the marketplace it
// was for.
func (s *Sandbox) identify(r *http.Request, api string) (partner, client string) {
	if m := s.marketplace(api); m != nil {
		return m.Identify(r)
	}
	return "", ""
}

// requestIDHeaders are the headers that carry r's request id besides
// X-Request-Id: those of the marketplace it is for.
func (s *Sandbox) requestIDHeaders(r *http.Request) []string {
	if m := s.marketplaceFor(r); m != nil {
		return m.RequestIDHeaders()
	}
	return nil
}

// refuseBadQuery answers 400 to a query string that does not parse, as
// Rails does for a malformed % escape (Rack raises, Rails answers 400 Bad
// Request). A ';' is left to each marketplace, whose own parser reads it
// as its vendor's does: GitLab's Rack 2 splits pairs on it, Microsoft's
// ASP.NET keeps it as a character of the value (sandbox/microsoft's
// query), so here it only must not hide a bad escape. The control API,
// read with net/http's parser, which since Go 1.17 would silently drop
// such pairs and so ignore a filter the client meant, refuses it.
//
// The answer is in the envelope of the marketplace the request is for
// when it has its own (badQueryWriter).
func (s *Sandbox) refuseBadQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if query := r.URL.RawQuery; query != "" && !queryParses(query, isControl(r)) {
			if !isControl(r) {
				query = strings.ReplaceAll(query, ";", "&")
			}
			if _, err := url.ParseQuery(query); err != nil {
				msg := "The query string could not be parsed: " + err.Error() + "."
				if m, ok := s.marketplaceFor(r).(badQueryWriter); ok {
					m.WriteBadQuery(w, r, msg)
					return
				}
				writeControlError(w, r, http.StatusBadRequest, "invalid_request", msg)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// queryParses reports, without building the values, whether
// url.ParseQuery takes query: every '%' starts an escape of two hex
// digits, and a ';' is refused in the control API only (the marketplaces'
// handlers read it as a character; see refuseBadQuery). Nearly every
// request passes, and ParseQuery then runs only to explain a refusal.
func queryParses(query string, control bool) bool {
	for i := 0; i < len(query); i++ {
		switch query[i] {
		case '%':
			if i+2 >= len(query) || !isHex(query[i+1]) || !isHex(query[i+2]) {
				return false
			}
			i += 2
		case ';':
			if control {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// badQueryWriter is implemented by a marketplace whose envelope differs
// from the sandbox's own (GitLab's is the same), to answer an unparsable
// query string in it.
type badQueryWriter interface {
	WriteBadQuery(w http.ResponseWriter, r *http.Request, message string)
}

// normalizePath routes a path as the real portal's stack does, instead of
// mux's 301 to the cleaned path: Rails' router squeezes repeated slashes
// and drops a trailing one (ActionDispatch::Journey::Router::Utils.
// normalize_path), and the web server in front resolves "." and ".."
// segments (RFC 3986 §5.2.4, %2E spelt or not). It runs before the
// journal and the faults, so a rule for a path also catches its untidy
// spellings and /_sandbox/../api is partner traffic (docs/gitlab.md,
// "Every answer in the envelope").
func normalizePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		escaped := r.URL.EscapedPath()
		clean, changed := cleanPath(escaped)
		if !changed {
			next.ServeHTTP(w, r)
			return
		}
		u := *r.URL
		u.Path, _ = url.PathUnescape(clean) // clean only drops parts of a path net/http already unescaped
		u.RawPath = clean
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = &u
		next.ServeHTTP(w, r2)
	})
}

// cleanPath normalizes an escaped path; changed is false (and no memory
// is spent) for a path that is already clean, as every well-behaved
// client's is.
func cleanPath(p string) (clean string, changed bool) {
	if !untidy(p) {
		return p, false
	}
	segments := strings.Split(p, "/")
	kept := make([]string, 0, len(segments))
	for _, seg := range segments {
		switch strings.ToLower(seg) {
		case "", ".", "%2e":
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(kept) > 0 {
				kept = kept[:len(kept)-1]
			}
		default:
			kept = append(kept, seg)
		}
	}
	clean = "/" + strings.Join(kept, "/")
	return clean, clean != p
}

// untidy tells whether p may need cleaning: an empty segment, a dot
// segment, or a trailing slash.
func untidy(p string) bool {
	if p == "" || p[0] != '/' || (len(p) > 1 && p[len(p)-1] == '/') {
		return true
	}
	return strings.Contains(p, "//") || strings.Contains(p, "/.") ||
		strings.Contains(p, "/%2e") || strings.Contains(p, "/%2E")
}

// dispatch serves a request with the handler router matches, as mux's
// own ServeHTTP does for a router that cleans no paths and has handlers
// for not found and method not allowed (the sandbox's router, see
// routes), with one copy of the request where mux makes two, and none
// for a route without variables: mux also stores the route, which
// nothing here reads (mux.CurrentRoute is nil).
//
// It answers HEAD on every GET route, as Rails does (Rack::Head): the GET
// handler runs and net/http drops the body, since it knows the request
// was a HEAD. The journal and the faults still see a HEAD.
func dispatch(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var match mux.RouteMatch
		matched := false
		if r.Method == http.MethodHead {
			get := new(http.Request)
			*get = *r
			get.Method = http.MethodGet
			if router.Match(get, &match) && match.MatchErr == nil {
				r, matched = get, true
			} else {
				match = mux.RouteMatch{}
			}
		}
		if !matched {
			router.Match(r, &match)
		}
		if len(match.Vars) > 0 {
			r = mux.SetURLVars(r, match.Vars)
		}
		noteRoute(w, match.Route) // the metrics' route label
		handler := match.Handler
		if handler == nil {
			handler = http.NotFoundHandler() // as mux: the sandbox's router always has one
		}
		handler.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a logged 500 that shows no internals;
// it is a bug, never an answer the sandbox means to give.
func (s *Sandbox) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic serving request", "panic", v, "path", r.URL.Path, "request_id", requestid.From(r.Context()))
				writeControlError(w, r, http.StatusInternalServerError, "internal_error", "The server encountered an unexpected condition.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection through the
// recorder (fault effects flush it or take it over).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// accessLog logs each request at debug level (info for 5xx would be a bug
// and is logged by the handler at error level).
func (s *Sandbox) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start), "request_id", requestid.From(r.Context()))
	})
}

// notFound answers in the envelope of the marketplace that owns the path,
// and in the sandbox's own envelope under /_sandbox and for a path no
// marketplace served owns.
func (s *Sandbox) notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := s.marketplaceFor(r); m != nil {
			m.NotFound(w, r)
			return
		}
		if isControl(r) {
			writeControlError(w, r, http.StatusNotFound, "not_found", "No control API route "+r.URL.Path+".")
			return
		}
		writeControlError(w, r, http.StatusNotFound, "not_found", s.unownedMessage(r))
	})
}

// unownedMessage says what the sandbox serves, for a path none of its
// marketplaces owns.
func (s *Sandbox) unownedMessage(r *http.Request) string {
	names := make([]string, 0, len(s.markets))
	for _, m := range s.markets {
		names = append(names, m.Name())
	}
	return "No route " + r.URL.Path + ": this sandbox serves " + strings.Join(names, ", ") +
		" (see GET /_sandbox for their base paths)."
}

func (s *Sandbox) methodNotAllowed(routers []*mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allowedMethods(routers, r), ", "))
		if m := s.marketplaceFor(r); m != nil {
			m.MethodNotAllowed(w, r)
			return
		}
		writeControlError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "The method "+r.Method+" is not allowed on "+r.URL.Path+".")
	})
}

func isControl(r *http.Request) bool {
	return r.URL.Path == "/_sandbox" || strings.HasPrefix(r.URL.Path, "/_sandbox/")
}

// allowedMethods lists the methods routed for r's path in any of
// routers, for the Allow header of a 405.
func allowedMethods(routers []*mux.Router, r *http.Request) []string {
	seen := map[string]bool{}
	path := r.URL.EscapedPath()
	for _, router := range routers {
		allowedIn(router, path, seen)
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// allowedIn adds to seen the methods router routes for path, up to the
// first route for path that takes every method: mux never reaches the
// routes after it for that path (microsoft's resolve has one, so that
// GET resolve is a 405 and not a subscription named "resolve").
func allowedIn(router *mux.Router, path string, seen map[string]bool) {
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		pattern, err := route.GetPathRegexp()
		if err != nil {
			return nil
		}
		if ok, _ := regexp.MatchString(pattern, path); !ok {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return errShadowed
		}
		for _, m := range methods {
			seen[m] = true
			if m == http.MethodGet {
				seen[http.MethodHead] = true // dispatch
			}
		}
		return nil
	})
}

// errShadowed stops allowedIn's walk at a route that takes every method.
var errShadowed = errors.New("the routes after this one are shadowed for the path")
