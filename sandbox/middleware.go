package sandbox

import (
	"log/slog"
	"net/http"
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
	rec := journal.NewRecorder(s.journal, s.cfg.Journal, s.clock.Now, apiOf,
		journal.WithIdentify(func(r *http.Request, _ string) (string, string) { return s.portal.Identify(r) }),
		journal.WithSecrets(s.portal.Secrets()))
	return requestid.Middleware(s.accessLog(rec.Wrap(s.inject.Wrap(s.recoverPanics(next)))))
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

// notFound answers in the control API's envelope under /_sandbox and in
// the marketplace's envelope elsewhere.
func (s *Sandbox) notFound() http.Handler {
	portal := s.portal.NotFoundHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isControl(r) {
			writeControlError(w, r, http.StatusNotFound, "not_found", "No control API route "+r.URL.Path+".")
			return
		}
		portal.ServeHTTP(w, r)
	})
}

func (s *Sandbox) methodNotAllowed(router *mux.Router) http.Handler {
	allowed := func(r *http.Request) []string { return allowedMethods(router, r) }
	portal := s.portal.MethodNotAllowedHandler(allowed)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isControl(r) {
			w.Header().Set("Allow", strings.Join(allowed(r), ", "))
			writeControlError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "The method "+r.Method+" is not allowed on "+r.URL.Path+".")
			return
		}
		portal.ServeHTTP(w, r)
	})
}

func isControl(r *http.Request) bool {
	return r.URL.Path == "/_sandbox" || strings.HasPrefix(r.URL.Path, "/_sandbox/")
}

// allowedMethods lists the methods routed for r's path, for the Allow
// header of a 405.
func allowedMethods(router *mux.Router, r *http.Request) []string {
	seen := map[string]bool{}
	path := r.URL.EscapedPath()
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		pattern, err := route.GetPathRegexp()
		if err != nil {
			return nil
		}
		if ok, _ := regexp.MatchString(pattern, path); !ok {
			return nil
		}
		methods, _ := route.GetMethods()
		for _, m := range methods {
			seen[m] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
