package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes lists the sandbox's shared control API and mounts each
// marketplace, whose own routes.go lists its surface.
func (s *Sandbox) routes() *mux.Router {
	r := mux.NewRouter().UseEncodedPath()

	r.Handle("/_sandbox/health", http.HandlerFunc(s.health)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/_sandbox/reset", s.control(s.reset)).Methods(http.MethodPost)
	r.Handle("/_sandbox/clock", s.control(s.readClock)).Methods(http.MethodGet)
	r.Handle("/_sandbox/clock/advance", s.control(s.advanceClock)).Methods(http.MethodPost)

	s.portal.Routes(r)

	r.NotFoundHandler = s.notFound()
	r.MethodNotAllowedHandler = s.methodNotAllowed(r)
	return r
}
