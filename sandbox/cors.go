package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CORSSettings let a web application in a browser call the marketplace
// APIs from its own origin (a partner's single-page admin console, a
// Storybook): off by default, as neither vendor's API answers CORS for
// third-party origins. The control API never answers CORS, whatever is
// set: no page of another origin should drive it.
type CORSSettings struct {
	Origins []string      `yaml:"origins" usage:"origins (scheme://host[:port]) whose browser pages may call the marketplace APIs, comma-separated; * for any; empty: no CORS (never for /_sandbox)"`
	MaxAge  time.Duration `yaml:"max_age" usage:"how long a browser may cache a CORS preflight answer (Access-Control-Max-Age; browsers cap it, Chromium at 2h)"`
}

// DefaultCORSSettings allow no origin; a preflight, once origins are set,
// is cached for ten minutes.
func DefaultCORSSettings() CORSSettings { return CORSSettings{MaxAge: 10 * time.Minute} }

// Validate refuses an origin no browser sends and a max age out of range.
func (c CORSSettings) Validate() error {
	var errs []error
	for i, o := range c.Origins {
		if err := checkOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("cors.origins[%d]: %q %w", i, o, err))
		}
	}
	if c.MaxAge < 0 || c.MaxAge > 24*time.Hour {
		errs = append(errs, errors.New("cors.max_age: must be between 0s and 24h"))
	}
	return errors.Join(errs...)
}

// checkOrigin accepts "*" or an origin as a browser's Origin header
// spells it: scheme, host and port only.
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return errors.New("is not an origin: write scheme://host[:port], e.g. http://localhost:3000")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("has more than an origin: no path (not even a trailing /), query or user")
	case o != strings.ToLower(o):
		return errors.New("must be in lower case, as browsers send it")
	}
	return nil
}

// corsMethods are the methods a preflight allows: every method the
// marketplace APIs route. A method a path does not take is still answered
// 405 by the request itself, in the vendor's envelope.
const corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"

// safelistedResponseHeaders are those a page may read without
// Access-Control-Expose-Headers (Fetch standard, "CORS-safelisted
// response-header name"), and those that are the browser's business.
var safelistedResponseHeaders = []string{"Cache-Control", "Content-Language", "Content-Length", "Content-Type",
	"Expires", "Last-Modified", "Pragma", "Vary", "Date", "Set-Cookie", "Connection", "Transfer-Encoding"}

// cors answers CORS for the marketplace APIs (a preflight, and the
// headers of an actual request) when cors.origins allows the request's
// Origin; with no origins set, or an origin not listed, a request is
// served as if CORS did not exist. Nothing under /_sandbox gets CORS. A
// preflight is answered here, before the journal and the faults, which
// are about what the partner's code sends, not its browser.
func (s *Sandbox) cors(next http.Handler) http.Handler {
	settings := s.cfg.CORS
	if len(settings.Origins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(settings.Origins, "*")
	maxAge := strconv.Itoa(int(settings.MaxAge / time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || (!anyOrigin && !slices.Contains(settings.Origins, origin)) || isControl(r) || s.marketplaceFor(r) == nil {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		if anyOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
				// Any header: the APIs authenticate with bearer tokens,
				// never cookies, so no credentials are allowed and no
				// header a page adds can borrow the user's.
				h.Set("Access-Control-Allow-Headers", asked)
			}
			h.Set("Access-Control-Max-Age", maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(&exposingWriter{ResponseWriter: w}, r)
	})
}

// exposingWriter lists, as the answer's headers are sent, every header the
// handler set that a page could not read otherwise (Request-Id,
// x-ms-requestid, Location, Retry-After...), in
// Access-Control-Expose-Headers.
type exposingWriter struct {
	http.ResponseWriter
	sent bool
}

func (w *exposingWriter) WriteHeader(code int) {
	if code >= 200 { // a 1xx answer's headers are not the final ones
		w.expose()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *exposingWriter) Write(b []byte) (int, error) {
	w.expose()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (faults flush
// it or take it over).
func (w *exposingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *exposingWriter) expose() {
	if w.sent {
		return
	}
	w.sent = true
	h := w.Header()
	var names []string
	for name := range h {
		if !strings.HasPrefix(name, "Access-Control-") && !slices.ContainsFunc(safelistedResponseHeaders, func(s string) bool { return strings.EqualFold(s, name) }) {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		h.Set("Access-Control-Expose-Headers", strings.Join(names, ", "))
	}
}
