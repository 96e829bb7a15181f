package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderSession routes a request to a session by its id, whatever its
// path: the way to reach a session's control API (or to send it a request
// that carries no credentials) without its prefix.
const HeaderSession = "X-Sandbox-Session"

// sessionsPath is the prefix of the sessions' control routes; below
// /_sandbox/sessions/{id}/ is each session's own sandbox.
const sessionsPath = "/_sandbox/sessions/"

// sessionStore holds the open sessions. It owns its lock, runs each
// session's sandbox under the sandbox's Run and ends the idle ones.
type sessionStore struct {
	settings SessionSettings
	// now is the wall clock idleness is judged by: sessions' own clocks
	// differ, and a CI job that died is gone in real time.
	now func() time.Time
	// count mirrors len(byID), so that traffic skips routing while there
	// is no session at all.
	count atomic.Int32

	// mu guards the fields below.
	mu       sync.Mutex
	byID     map[string]*session
	byTenant map[string]*session
	// ctx is the sandbox's Run context, nil before Run; sessions opened
	// before it start when it does.
	ctx context.Context
}

func newSessionStore(s SessionSettings) *sessionStore {
	return &sessionStore{settings: s, now: time.Now, byID: map[string]*session{}, byTenant: map[string]*session{}}
}

// add registers and starts sess, unless the store is full.
func (st *sessionStore) add(sess *session) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byID) >= st.settings.Max {
		return &controlError{status: http.StatusConflict, code: "too_many_sessions", description: sessionLimitText(st.settings.Max)}
	}
	st.byID[sess.id] = sess
	if sess.world.tenant != "" {
		st.byTenant[sess.world.tenant] = sess
	}
	st.count.Store(int32(len(st.byID)))
	sess.box.joinMetrics()
	if st.ctx != nil {
		sess.run(st.ctx)
	}
	return nil
}

func sessionLimitText(max int) string {
	if max == 0 {
		return "This sandbox opens no sessions (sessions.max is 0)."
	}
	return "At most " + strconv.Itoa(max) + " sessions may be open at once (sessions.max); end one with DELETE /_sandbox/sessions/{id} first."
}

// get returns the session with that id.
func (st *sessionStore) get(id string) (*session, bool) {
	if !validSessionID(id) {
		return nil, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	sess, ok := st.byID[id]
	return sess, ok
}

func (st *sessionStore) byTenantID(tenant string) (*session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sess, ok := st.byTenant[tenant]
	return sess, ok
}

// list returns the open sessions, oldest first.
func (st *sessionStore) list() []*session {
	st.mu.Lock()
	out := make([]*session, 0, len(st.byID))
	for _, sess := range st.byID {
		out = append(out, sess)
	}
	st.mu.Unlock()
	slices.SortFunc(out, func(a, b *session) int { return a.created.Compare(b.created) })
	return out
}

// remove forgets the session and ends it; it reports whether it was open.
func (st *sessionStore) remove(id string) bool {
	st.mu.Lock()
	sess, ok := st.byID[id]
	if ok {
		delete(st.byID, id)
		delete(st.byTenant, sess.world.tenant)
		st.count.Store(int32(len(st.byID)))
	}
	st.mu.Unlock()
	if ok {
		sess.end()
		sess.box.leaveMetrics()
	}
	return ok
}

// run starts every session opened so far and those opened later under
// ctx, ends idle ones, and ends them all when ctx ends.
func (st *sessionStore) run(ctx context.Context) {
	st.mu.Lock()
	st.ctx = ctx
	for _, sess := range st.byID {
		sess.run(ctx)
	}
	st.mu.Unlock()
	tick := time.NewTicker(min(st.settings.IdleTimeout/4, time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, sess := range st.list() {
				st.remove(sess.id)
			}
			return
		case <-tick.C:
			st.endIdle()
		}
	}
}

// endIdle ends the sessions no request reached for the idle timeout.
func (st *sessionStore) endIdle() {
	now := st.now()
	for _, sess := range st.list() {
		if now.After(sess.expires()) {
			st.remove(sess.id)
		}
	}
}

// routeSessions sends a request for a session to the session's own
// sandbox: one carrying X-Sandbox-Session, one under the session's prefix
// (which it removes), and marketplace traffic at the root whose
// credentials a session issued. Everything else, and everything while no
// session is open, goes to next, the default workspace.
func (s *Sandbox) routeSessions(next http.Handler) http.Handler {
	st := s.sessions
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(HeaderSession); id != "" {
			sess, ok := st.get(id)
			if !ok {
				writeControlError(w, r, http.StatusNotFound, "not_found", "No session "+quoteShort(id)+" is open (header "+HeaderSession+").")
				return
			}
			st.forward(sess, w, r, "")
			return
		}
		if strings.HasPrefix(r.URL.Path, sessionsPath) {
			id, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, sessionsPath), "/")
			if rest != "" && rest != "report" {
				sess, ok := st.get(id)
				if !ok {
					writeControlError(w, r, http.StatusNotFound, "not_found", "No session "+quoteShort(id)+" is open.")
					return
				}
				st.forward(sess, w, r, sessionsPath+id)
				return
			}
		}
		if st.count.Load() > 0 && !isControl(r) {
			if sess, ok := st.owner(r); ok {
				st.forward(sess, w, r, "")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// owner is the session whose credentials r carries.
func (st *sessionStore) owner(r *http.Request) (*session, bool) {
	id, tenant := sessionKeys(r)
	switch {
	case id != "":
		return st.get(id)
	case tenant != "":
		return st.byTenantID(tenant)
	}
	return nil, false
}

// forward serves r by the session's sandbox, without prefix.
func (st *sessionStore) forward(sess *session, w http.ResponseWriter, r *http.Request, prefix string) {
	sess.touch(st.now())
	noteForwarded(w) // the session's sandbox counts it in the metrics
	if prefix != "" {
		r = withoutPrefix(r, prefix)
	}
	if r.Header.Get(HeaderSession) != "" {
		// The session's own sandbox would route it again.
		r = r.Clone(r.Context())
		r.Header.Del(HeaderSession)
	}
	sess.box.Handler().ServeHTTP(w, r)
}

// withoutPrefix is r with prefix removed from its path, escaped and not.
func withoutPrefix(r *http.Request, prefix string) *http.Request {
	out := r.Clone(r.Context())
	u := *r.URL
	u.Path = strings.TrimPrefix(r.URL.Path, prefix)
	if escaped := r.URL.EscapedPath(); strings.HasPrefix(escaped, prefix) {
		u.RawPath = strings.TrimPrefix(escaped, prefix)
		if p, err := url.PathUnescape(u.RawPath); err != nil || p != u.Path {
			u.RawPath = ""
		}
	}
	out.URL = &u
	out.RequestURI = u.RequestURI()
	return out
}

// quoteShort quotes a client's id for an error message, cut to a
// readable length.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
