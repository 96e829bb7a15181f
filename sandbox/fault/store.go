package fault

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
)

// MaxRules bounds how many rules a store holds.
const MaxRules = 1000

// ErrDuplicate means a rule with that id already exists.
var ErrDuplicate = errors.New("a rule with this id already exists")

// InvalidError lists every problem of a rule that was refused.
type InvalidError struct{ Problems []Problem }

// Error lists the problems on one line, for logs and start-up errors.
func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// View is a stored rule with its counters, as the control API shows it.
type View struct {
	Rule
	// Matches counts requests that matched the rule's match.
	Matches int `json:"matches"`
	// Hits counts the times its effect was applied.
	Hits int `json:"hits"`
	// CreatedAt is when the rule was added, on the sandbox clock; relative
	// windows ("+10m") count from here.
	CreatedAt time.Time `json:"createdAt"`
}

// Store holds the active rules and decides, request by request, which one
// fires. It owns its lock; an empty store answers without taking it.
type Store struct {
	now  func() time.Time
	apis []API
	// count and identity mirror the rules for the lock-free fast path.
	count    atomic.Int32
	identity atomic.Bool

	// mu guards the fields below.
	mu     sync.Mutex
	seed   uint64
	rules  []*ruleState
	base   Rules
	nextID int
}

// ruleState is a rule with its parsed form, counters and random source.
type ruleState struct {
	rule        Rule
	path        pathpattern.Pattern
	created     time.Time
	from, until time.Time
	rng         *rand.Rand
	matches     int
	fired       int
	hits        int
}

// NewStore builds a store for the marketplaces apis, holding base (the
// config file's rules, restored by Reset). A zero seed picks a random one;
// Seed tells which.
func NewStore(now func() time.Time, seed uint64, apis []API, base Rules) (*Store, error) {
	s := &Store{now: now, apis: apis, base: base, seed: pickSeed(seed)}
	if err := s.restore(); err != nil {
		return nil, err
	}
	return s, nil
}

func pickSeed(seed uint64) uint64 {
	for seed == 0 {
		seed = rand.Uint64()
	}
	return seed
}

// Seed is the global seed every rule's random source derives from.
func (s *Store) Seed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seed
}

// SetSeed changes the seed (zero picks a random one) and restarts every
// rule's random source and counters. It returns the seed in force.
func (s *Store) SetSeed(seed uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seed = pickSeed(seed)
	for _, st := range s.rules {
		st.restart(s.seed)
	}
	return s.seed
}

// Reset restores the config file's rules: run-time rules go, counters are
// zero and random sources restart from the current seed.
func (s *Store) Reset() {
	_ = s.restore() // base was valid when the store was built
}

func (s *Store) restore() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.nextID = nil, 1
	var problems []Problem
	for i, r := range s.base {
		if _, err := s.addLocked(r); err != nil {
			problems = append(problems, prefixed(fmt.Sprintf("faults[%d]", i), err)...)
		}
	}
	s.publishLocked()
	if problems != nil {
		return &InvalidError{Problems: problems}
	}
	return nil
}

func prefixed(prefix string, err error) []Problem {
	var inv *InvalidError
	if !errors.As(err, &inv) {
		return []Problem{{Field: prefix + ".id", Message: err.Error()}}
	}
	out := make([]Problem, len(inv.Problems))
	for i, p := range inv.Problems {
		out[i] = Problem{Field: strings.TrimSuffix(prefix+"."+p.Field, "."), Message: p.Message}
	}
	return out
}

// Add validates r and stores it, generating an id when it has none.
func (s *Store) Add(r Rule) (View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.addLocked(r)
	if err != nil {
		return View{}, err
	}
	s.publishLocked()
	return st.view(), nil
}

func (s *Store) addLocked(r Rule) (*ruleState, error) {
	if problems := Validate(r, s.apis); len(problems) > 0 {
		return nil, &InvalidError{Problems: problems}
	}
	if len(s.rules) >= MaxRules {
		return nil, &InvalidError{Problems: []Problem{{Field: "", Message: fmt.Sprintf("the sandbox holds at most %d rules", MaxRules)}}}
	}
	if r.ID == "" {
		r.ID = s.freshIDLocked()
	} else if s.findLocked(r.ID) >= 0 {
		return nil, ErrDuplicate
	}
	path, _ := pathpattern.Parse(r.Match.Path)
	if r.Match.Path == "" {
		path = pathpattern.Pattern{}
	}
	created := s.now()
	st := &ruleState{rule: r, path: path, created: created}
	st.from, _ = parseBound(r.Schedule.From, created)
	st.until, _ = parseBound(r.Schedule.Until, created)
	st.restart(s.seed)
	s.rules = append(s.rules, st)
	return st, nil
}

func (s *Store) freshIDLocked() string {
	for {
		id := "r" + strconv.Itoa(s.nextID)
		s.nextID++
		if s.findLocked(id) < 0 {
			return id
		}
	}
}

func (s *Store) findLocked(id string) int {
	for i, st := range s.rules {
		if st.rule.ID == id {
			return i
		}
	}
	return -1
}

// publishLocked refreshes the lock-free mirrors after the rules changed.
func (s *Store) publishLocked() {
	identity := false
	for _, st := range s.rules {
		identity = identity || st.rule.Match.Partner != "" || st.rule.Match.Client != ""
	}
	s.identity.Store(identity)
	s.count.Store(int32(len(s.rules)))
}

// Get returns the rule with that id.
func (s *Store) Get(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.findLocked(id); i >= 0 {
		return s.rules[i].view(), true
	}
	return View{}, false
}

// List returns every rule in the order they were added (the order in
// which they are tried).
func (s *Store) List() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.rules))
	for i, st := range s.rules {
		out[i] = st.view()
	}
	return out
}

// Delete removes the rule with that id and reports whether it existed.
func (s *Store) Delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findLocked(id)
	if i < 0 {
		return false
	}
	s.rules = append(s.rules[:i:i], s.rules[i+1:]...)
	s.publishLocked()
	return true
}

// DeleteAll removes every rule, the config file's too (until Reset).
func (s *Store) DeleteAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
	s.publishLocked()
}

func (st *ruleState) restart(seed uint64) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(st.rule.ID))
	st.rng = rand.New(rand.NewPCG(seed, h.Sum64()))
	st.matches, st.fired, st.hits = 0, 0, 0
}

func (st *ruleState) view() View {
	r := st.rule
	r.Match.Headers = cloneMap(r.Match.Headers)
	return View{Rule: r, Matches: st.matches, Hits: st.hits, CreatedAt: st.created}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Request is what a rule can match on.
type Request struct {
	API, Method, Path string
	Partner, Client   string
	Header            http.Header
	// Internal marks a marketplace's own back-office traffic, which only
	// a rule naming its path faults (WithInternal).
	Internal bool
}

// Decision is a rule that fired for a request.
type Decision struct {
	RuleID string
	Effect Effect
	// Delay is the latency drawn for this request (zero without latency).
	Delay time.Duration
}

// Empty reports, without locking, whether the store holds no rule.
func (s *Store) Empty() bool { return s.count.Load() == 0 }

// NeedsIdentity reports, without locking, whether some rule matches on
// the partner or client, so the caller knows whether to identify requests.
func (s *Store) NeedsIdentity() bool { return s.identity.Load() }

// Decide counts req against every rule and returns the first (oldest) rule
// that fires. Each matching rule draws from its own random source whatever
// the other rules do, so one rule's sequence of faults depends only on the
// seed and the requests it matched.
func (s *Store) Decide(req Request) (Decision, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var d Decision
	found := false
	for _, st := range s.rules {
		if !st.matchesRequest(req) {
			continue
		}
		st.matches++
		if !st.fires(now) {
			continue
		}
		st.fired++
		delay := st.delay()
		if !found {
			st.hits++
			d, found = Decision{RuleID: st.rule.ID, Effect: st.rule.Effect, Delay: delay}, true
		}
	}
	return d, found
}

func (st *ruleState) matchesRequest(req Request) bool {
	m := st.rule.Match
	if req.Internal && !namesPath(m.Path) {
		return false
	}
	if st.rule.API != "" && st.rule.API != req.API ||
		m.Method != "" && m.Method != req.Method ||
		m.Partner != "" && m.Partner != req.Partner ||
		m.Client != "" && m.Client != req.Client ||
		!st.path.Match(req.Path) {
		return false
	}
	for name, want := range m.Headers {
		if req.Header.Get(name) != want {
			return false
		}
	}
	return true
}

// namesPath reports whether a rule's path pattern names a path instead of
// matching any: it is set and its first segment is not a wildcard.
func namesPath(pattern string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
	return first != "" && first != "*" && first != "**"
}

// fires applies the schedule to the match just counted. The probability
// draw is taken on every match, so the n-th match always uses the n-th
// draw.
func (st *ruleState) fires(now time.Time) bool {
	sc := st.rule.Schedule
	lucky := true
	if sc.Probability != nil {
		lucky = st.rng.Float64() < *sc.Probability
	}
	switch {
	case !st.from.IsZero() && now.Before(st.from),
		!st.until.IsZero() && !now.Before(st.until),
		sc.Every > 0 && st.matches%sc.Every != 0,
		sc.Times > 0 && st.fired >= sc.Times:
		return false
	}
	return lucky
}

// delay draws the latency of one firing.
func (st *ruleState) delay() time.Duration {
	l := st.rule.Effect.Latency
	switch {
	case l == nil:
		return 0
	case l.Fixed != nil:
		return time.Duration(*l.Fixed)
	case l.Uniform != nil:
		lo, hi := int64(l.Uniform.Min), int64(l.Uniform.Max)
		return time.Duration(lo + st.rng.Int64N(hi-lo+1))
	case l.LogNormal != nil:
		d := float64(l.LogNormal.Median) * math.Exp(l.LogNormal.Sigma*st.rng.NormFloat64())
		return time.Duration(min(d, float64(maxDelay)))
	}
	return 0
}
