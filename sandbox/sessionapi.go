package sandbox

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
)

// createSession is POST /_sandbox/sessions: a new isolated workspace for
// one marketplace (README, "Certifying a client").
func (s *Sandbox) createSession(r *http.Request) (any, error) {
	if err := noQuery(r); err != nil {
		return nil, err
	}
	body, err := readOptionalJSON(r)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, badRequest("Send a JSON body naming the marketplace: {\"api\": %q}.", strings.Join(s.cfg.Marketplaces, "\" or \""))
	}
	var req sessionRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, badRequest("%s.", upperFirst(err.Error()))
	}
	if err := s.checkSessionRequest(&req); err != nil {
		return nil, err
	}
	id := newSessionID()
	at := s.sessionAddress(r, id)
	sess, err := s.openSession(req, at, id)
	if err != nil {
		return nil, err
	}
	if err := s.sessions.add(sess); err != nil {
		return nil, err
	}
	s.log.InfoContext(r.Context(), "session opened", "session", id, "api", req.API, "suite", req.Suite, "seed", sess.seed)
	return answer{status: http.StatusCreated, body: sess.view()}, nil
}

// checkSessionRequest refuses what the sandbox cannot open, naming the
// field, and fills in the defaults.
func (s *Sandbox) checkSessionRequest(req *sessionRequest) error {
	switch {
	case req.API == "":
		return badRequest("api is required: %s.", strings.Join(s.cfg.Marketplaces, " or "))
	case s.marketplace(req.API) == nil:
		return badRequest("api %s is not a marketplace this sandbox serves (%s).", quoteShort(req.API), strings.Join(s.cfg.Marketplaces, ", "))
	case req.Seed < 0:
		return badRequest("seed must not be negative.")
	}
	switch req.Clock {
	case "":
		req.Clock = clock.ModeReal
	case clock.ModeReal, clock.ModeFrozen:
	default:
		return badRequest("clock %s is not real or frozen.", quoteShort(string(req.Clock)))
	}
	if req.API != "microsoft" && (req.WebhookURL != "" || req.LandingPageURL != "") {
		return badRequest("webhookUrl and landingPageUrl are for a Microsoft session's publisher.")
	}
	return s.checkSuite(req)
}

// sessionAddress is where the session is reached: by the base URL its
// creator used, and by the sandbox's own.
func (s *Sandbox) sessionAddress(r *http.Request, id string) sessionAddress {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host
	self := s.opts.baseURL
	if self == "" {
		self = base
	}
	return sessionAddress{base: base, prefix: base + sessionsPath + id, self: self, selfPrefix: self + sessionsPath + id}
}

func (s *Sandbox) listSessions(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	views := []sessionView{}
	for _, sess := range s.sessions.list() {
		views = append(views, sess.view())
	}
	return map[string]any{"sessions": views, "max": s.cfg.Sessions.Max}, nil
}

// session is the session the route names, or a 404.
func (s *Sandbox) session(r *http.Request) (*session, error) {
	id := mux.Vars(r)["id"]
	sess, ok := s.sessions.get(id)
	if !ok {
		return nil, notFound("No session %s is open (it may have ended, or been idle for %s).", quoteShort(id), s.cfg.Sessions.IdleTimeout)
	}
	return sess, nil
}

func (s *Sandbox) getSession(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	return sess.view(), nil
}

// endSession is DELETE /_sandbox/sessions/{id}: its sandbox stops and is
// forgotten, with all it held.
func (s *Sandbox) endSession(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	s.sessions.remove(sess.id)
	s.log.InfoContext(r.Context(), "session ended", "session", sess.id)
	return answer{status: http.StatusNoContent}, nil
}

// noQuery refuses a query string on a route that takes none.
func noQuery(r *http.Request) error {
	if r.URL.RawQuery != "" {
		return badRequest("%s %s takes no query string.", r.Method, r.URL.Path)
	}
	return nil
}
