package sandbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/clock"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// A session is an isolated workspace opened by POST /_sandbox/sessions:
// a whole sandbox of its own (its clock, its one partner or publisher,
// its subscriptions, fault rules, journal and reset) serving one
// marketplace, so that parallel CI jobs sharing a sandbox never see each
// other. Its traffic reaches it by the credentials it issued, or under
// its prefix; a certification suite, when it has one, arms challenges on
// that traffic and judges what its journal saw.
type session struct {
	id      string
	api     string
	suite   string
	seed    int64
	clock   clock.Mode
	created time.Time
	expires func() time.Time
	at      sessionAddress
	world   world
	box     *Sandbox
	// armed are the suite's challenges, in the suite's order.
	armed *arming

	// lastUsed is the wall time (Unix nanoseconds) a request last reached
	// the session; idle sessions are ended.
	lastUsed atomic.Int64
	// stop ends the session's Run; done closes when it has returned. Both
	// are set once the session runs (the sandbox's Run started).
	stop context.CancelFunc
	done chan struct{}
}

// sessionRequest is the body of POST /_sandbox/sessions.
type sessionRequest struct {
	API   string `json:"api"`
	Suite string `json:"suite,omitempty"`
	// Seed makes the suite's challenge schedule and the session's fault
	// rules repeatable; 0 picks one, which the answer shows.
	Seed  int64      `json:"seed,omitempty"`
	Clock clock.Mode `json:"clock,omitempty"`
	// WebhookURL and LandingPageURL replace the Microsoft publisher's
	// (default: the session's own sample publisher).
	WebhookURL     string `json:"webhookUrl,omitempty"`
	LandingPageURL string `json:"landingPageUrl,omitempty"`
}

// sessionIDLength is the length of a session id: "s" and 11 lowercase
// letters and digits, which are also URL-safe base64, so a GitLab token
// can start with it.
const sessionIDLength = 12

const sessionIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newSessionID() string {
	var b [sessionIDLength - 1]byte
	_, _ = rand.Read(b[:])
	id := []byte{'s'}
	for _, c := range b {
		id = append(id, sessionIDAlphabet[int(c)%len(sessionIDAlphabet)])
	}
	return string(id)
}

// validSessionID reports whether id could be a session id, so that a
// lookup never hashes an attacker's megabyte.
func validSessionID(id string) bool {
	if len(id) != sessionIDLength || id[0] != 's' {
		return false
	}
	for i := 1; i < len(id); i++ {
		if !strings.ContainsRune(sessionIDAlphabet, rune(id[i])) {
			return false
		}
	}
	return true
}

// openSession builds the sandbox of a new session; it does not run yet.
func (s *Sandbox) openSession(req sessionRequest, at sessionAddress, id string) (*session, error) {
	w, err := sessionWorlds[req.API](id, s.fixtures, at, req)
	if err != nil {
		return nil, err
	}
	seed := req.Seed
	if seed == 0 {
		seed = int64(randomSeed())
	}
	specs, err := s.challenges(req.Suite, seed)
	if err != nil {
		return nil, err
	}
	armed := newArming(specs)
	cfg := s.cfg
	cfg.Marketplaces = []string{req.API}
	created := s.sessions.now()
	cfg.Clock, cfg.ClockStart, cfg.ClockOffset = req.Clock, time.Time{}, 0
	if req.Clock == clock.ModeFrozen {
		cfg.ClockStart = created.UTC() // a frozen clock starts when the session does
	}
	cfg.FaultSeed, cfg.Faults = seed, armed.faultRules()
	cfg.Journal.MaxEntries, cfg.Journal.MaxBytes = s.cfg.Sessions.JournalEntries, s.cfg.Sessions.JournalBytes
	cfg.Sessions.Max = 0 // a session opens no sessions of its own
	opts := []Option{
		WithLogger(s.log.With(slog.String("session", id))), WithFixtures(w.fixtures),
		WithBaseURL(at.selfPrefix), WithHTTPClient(s.opts.client), withTokenPrefix(id), withJournalObserver(armed.observe),
		withAuthority(at.self), withMetrics(s.metrics),
	}
	box, err := New(cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("building session %s: %w", id, err)
	}
	armed.attach(box)
	sess := &session{id: id, api: req.API, suite: req.Suite, seed: seed, clock: req.Clock,
		created: created, at: at, world: w, box: box, armed: armed}
	sess.lastUsed.Store(sess.created.UnixNano())
	sess.expires = func() time.Time {
		return time.Unix(0, sess.lastUsed.Load()).Add(s.cfg.Sessions.IdleTimeout).UTC()
	}
	return sess, nil
}

// randomSeed picks a seed a person can copy: below 2^31.
func randomSeed() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) >> 1
}

// run starts the session's sandbox under ctx.
func (sess *session) run(ctx context.Context) {
	ctx, sess.stop = context.WithCancel(ctx)
	sess.done = make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sess.box.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		sess.armed.run(ctx)
	}()
	go func() {
		wg.Wait()
		close(sess.done)
	}()
}

// end stops the session's sandbox and waits for it: its timers stop, its
// held faults end, and nothing references it any more.
func (sess *session) end() {
	if sess.stop == nil {
		return
	}
	sess.stop()
	<-sess.done
}

// touch records that a request reached the session.
func (sess *session) touch(now time.Time) { sess.lastUsed.Store(now.UnixNano()) }

// sessionView is how the control API shows a session.
type sessionView struct {
	ID          string            `json:"id"`
	API         string            `json:"api"`
	Suite       string            `json:"suite,omitempty"`
	Seed        int64             `json:"seed"`
	Clock       clock.Mode        `json:"clock"`
	BaseURL     string            `json:"baseUrl"`
	PrefixURL   string            `json:"prefixUrl"`
	ControlURL  string            `json:"controlUrl"`
	ReportURL   string            `json:"reportUrl"`
	Credentials map[string]any    `json:"credentials"`
	Env         map[string]string `json:"env"`
	Challenges  []challengeView   `json:"challenges"`
	Journal     journalUse        `json:"journal"`
	CreatedAt   time.Time         `json:"createdAt"`
	ExpiresAt   time.Time         `json:"expiresAt"`
}

// journalUse says how full a session's journal is: a report on one that
// lost entries (evicted or cleared) cannot vouch for what they showed.
type journalUse struct {
	Entries int    `json:"entries"`
	Lost    uint64 `json:"lost"`
}

func (sess *session) view() sessionView {
	env := map[string]string{
		"SANDBOX_SESSION_ID": sess.id, "SANDBOX_BASE_URL": sess.at.base,
		"SANDBOX_CONTROL_URL": sess.at.prefix + "/_sandbox", "SANDBOX_SESSION_URL": sess.at.base + "/_sandbox/sessions/" + sess.id,
	}
	for k, v := range sess.world.env {
		env[k] = v
	}
	entries, lost := sess.box.journal.Usage()
	return sessionView{
		ID: sess.id, API: sess.api, Suite: sess.suite, Seed: sess.seed, Clock: sess.clock,
		BaseURL: sess.at.base, PrefixURL: sess.at.prefix, ControlURL: sess.at.prefix + "/_sandbox",
		ReportURL: sess.at.base + "/_sandbox/sessions/" + sess.id + "/report", Credentials: sess.world.credentials,
		Env: env, Challenges: sess.armed.views(), Journal: journalUse{Entries: entries, Lost: lost},
		CreatedAt: sess.created.UTC(), ExpiresAt: sess.expires(),
	}
}

// entries is the session's whole journal, oldest first, and how many
// entries it lost (evicted or cleared).
func (sess *session) entries() ([]journal.Entry, uint64) {
	all := sess.box.journal.All()
	_, lost := sess.box.journal.Usage()
	return all, lost
}
