// Package engine runs conformance scenarios against a target over HTTP and
// records what happened: every request and response (secrets masked), every
// unmet expectation of a step, and a verdict (pass, fail, skip, error). It
// is plain Go; the Ginkgo suite and the conformance command are shells
// around it.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/lifecycle"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/openapi"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

// Runner runs scenarios against one target. It is safe for concurrent use;
// each Run has its own variables, tokens and unique ids.
type Runner struct {
	target    target.Target
	fragments map[string]any
	client    *http.Client
	contracts map[string]*openapi.Contract
	wait      func(ctx context.Context, d time.Duration) error
	runID     string
	counter   atomic.Int64

	// receiver is the publisher's side of the wire, when the run has one.
	receiver *Receiver
	// keys caches tenants' signing keys (*jose.JSONWebKeySet by tenant)
	// for verifying webhooks.
	keys sync.Map
	// profile is the expectation judged where a step has two ("docs" or
	// "observed").
	profile string

	// mintOnce makes minted, the key of the tokens made for a target
	// without a token service (the emulator).
	mintOnce sync.Once
	minted   []byte

	// freshOnce builds fresh, the client on never-reused connections that
	// scenarios injecting faults use.
	freshOnce sync.Once
	fresh     *http.Client
}

// Option configures a Runner.
type Option func(*Runner)

// WithHTTPClient sets the client (default: 10 s timeout, no redirects
// followed, since a redirect is itself an answer to check).
func WithHTTPClient(c *http.Client) Option { return func(r *Runner) { r.client = c } }

// WithContract sets the OpenAPI contract for an api, instead of building it
// on first use.
func WithContract(api string, c *openapi.Contract) Option {
	return func(r *Runner) { r.contracts[api] = c }
}

// WithWait replaces real waiting between polls (tests use it to stay fast).
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return func(r *Runner) { r.wait = wait }
}

// WithReceiver gives the run a webhook receiver, which scenarios needing
// "webhooks" wait on. The caller closes it after the run.
func WithReceiver(rc *Receiver) Option { return func(r *Runner) { r.receiver = rc } }

// Profiles are the expectations a Microsoft step may state: what
// Microsoft's pages say (docs, the default) and what the live service was
// seen to do (observed).
func Profiles() []string { return []string{ProfileDocs, ProfileObserved} }

// The profiles.
const (
	ProfileDocs     = "docs"
	ProfileObserved = "observed"
)

// WithProfile selects which expectation judges a step that states both.
func WithProfile(p string) Option { return func(r *Runner) { r.profile = p } }

// Profile is the profile the runner judges by.
func (r *Runner) Profile() string { return r.profile }

// WithRunID fixes the run id that ${unique} values start with (default:
// random), e.g. to reproduce a run.
func WithRunID(id string) Option { return func(r *Runner) { r.runID = id } }

// New returns a Runner for t using the library's fragments.
func New(t target.Target, lib *scenario.Library, opts ...Option) (*Runner, error) {
	r := &Runner{
		target:    t,
		fragments: lib.Fragments,
		client:    DefaultHTTPClient(10 * time.Second),
		contracts: map[string]*openapi.Contract{},
		wait:      sleep,
		runID:     randomID(),
		profile:   ProfileDocs,
	}
	for _, o := range opts {
		o(r)
	}
	if !slices.Contains(Profiles(), r.profile) {
		return nil, fmt.Errorf("unknown profile %q (known: %s)", r.profile, strings.Join(Profiles(), ", "))
	}
	for _, sc := range lib.Scenarios {
		if _, ok := r.contracts[sc.API]; ok {
			continue
		}
		c, err := openapi.ForAPI(sc.API)
		if err != nil {
			return nil, err
		}
		r.contracts[sc.API] = c
	}
	return r, nil
}

// DefaultHTTPClient does not follow redirects and gives up on a request
// after timeout.
func DefaultHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// MissingCapabilities lists what sc needs that the target lacks.
func (r *Runner) MissingCapabilities(sc scenario.Scenario) []string {
	var out []string
	for _, n := range sc.Needs {
		if !r.target.Capabilities[n] || (n == scenario.CapabilityWebhooks && r.receiver == nil) {
			out = append(out, n)
		}
	}
	return out
}

// missingCredentials names the credentials sc uses that the target lacks
// (a second Microsoft publisher is optional): such a scenario is skipped.
func (r *Runner) missingCredentials(sc scenario.Scenario) []string {
	if sc.API != scenario.APIMicrosoft {
		return nil
	}
	var out []string
	for _, name := range scenario.UsedCredentials(sc) {
		if r.target.Microsoft == nil || r.target.Microsoft.Publishers[name] == (target.Publisher{}) {
			out = append(out, name)
		}
	}
	return out
}

// state is one scenario run.
type state struct {
	runner    *Runner
	scenario  scenario.Scenario
	dialect   dialect
	fragments map[string]any
	unique    string
	vars      map[string]any
	tokens    map[string]string
	traces    map[string]*lifecycle.Trace
	mask      *masker
	result    *Result
	// webhooksFrom is the receiver's newest delivery when the scenario
	// started: it looks only at later ones, and takes each once.
	webhooksFrom int
	taken        map[int]bool
	// answered: a step set how the receiver answers.
	answered bool
	// pointed: the scenario pointed the publishers' webhooks at the
	// harness, so it puts them back.
	pointed bool
	// undo lists what control steps installed, removed after the scenario.
	undo []undoing
	// freshConnections: the scenario injects faults, so no request may be
	// retried silently on a reused connection.
	freshConnections bool
}

// Run executes sc and returns its result. Steps run in order; the first
// step with failures ends the scenario, after all of that step's failures
// are recorded.
func (r *Runner) Run(ctx context.Context, sc scenario.Scenario) (res Result) {
	res = Result{
		ScenarioID: sc.ID, Title: sc.Title, Requirement: sc.Requirement, Reference: sc.Reference,
		Source: sc.Source.String(), Labels: sc.AllLabels(), Started: time.Now(), Steps: []StepResult{},
	}
	defer func() { res.Duration = time.Since(res.Started) }()
	if missing := r.MissingCapabilities(sc); len(missing) > 0 {
		res.Outcome, res.Reason = Skip, fmt.Sprintf("target lacks capability %v", missing)
		return res
	}
	if missing := r.missingCredentials(sc); len(missing) > 0 {
		res.Outcome, res.Reason = Skip, fmt.Sprintf("the target configuration has no Microsoft publisher %v (microsoft.publishers)", missing)
		return res
	}
	s := &state{
		runner: r, scenario: sc, dialect: dialectOf(sc.API), fragments: r.fragments, result: &res,
		unique: "c" + r.runID + "-" + strconv.FormatInt(r.counter.Add(1), 10),
		vars:   map[string]any{}, tokens: map[string]string{}, traces: map[string]*lifecycle.Trace{},
		mask: newMasker(r.target.Secrets()), freshConnections: slices.Contains(sc.Needs, scenario.CapabilityFaults),
		taken: map[int]bool{},
	}
	if r.receiver != nil {
		s.webhooksFrom = r.receiver.mark()
	}
	if s.setUp(ctx) {
		s.runSteps(ctx)
	}
	s.cleanUp(ctx)
	s.restoreWebhooks(ctx)
	s.recordDeliveries()
	return res
}

// setUp points the target's webhooks at the harness's receiver, for a
// scenario that needs them, as a first step of its record. A target that
// refuses fails the scenario there.
func (s *state) setUp(ctx context.Context) bool {
	needs := func(c string) bool { return slices.Contains(s.scenario.Needs, c) }
	webhooks := s.runner.receiver != nil && needs(scenario.CapabilityWebhooks)
	emulator := s.runner.target.Control == target.ControlEmulator && needs(scenario.CapabilityControl)
	if s.scenario.API != scenario.APIMicrosoft || !webhooks && !emulator {
		return true
	}
	started := time.Now()
	sr := StepResult{Name: "prepare the target: the publishers' webhooks to the harness", Kind: "setup", Exchanges: []Exchange{}}
	var err error
	if webhooks {
		err = s.pointWebhooks(ctx, &sr)
	} else {
		sr.Name = "prepare the target: the conformance offer"
		err = s.emulatorSetUp(ctx, &sr)
	}
	sr.Duration = time.Since(started)
	err = s.failOn(err, &sr)
	res := s.result
	res.Steps = append(res.Steps, sr)
	if err != nil {
		res.Outcome, res.ErrorKind, res.Reason = Error, classify(err), s.mask.text(err.Error())
		return false
	}
	if len(sr.Failures) > 0 {
		res.Outcome = Fail
		for _, f := range sr.Failures {
			res.Failures = append(res.Failures, Failure{Step: "setup", Message: s.mask.text(f)})
		}
		return false
	}
	return true
}

// runSteps runs the steps in order until one fails or errs.
func (s *state) runSteps(ctx context.Context) {
	res := s.result
	res.Outcome = Pass
	for i, st := range s.scenario.Steps {
		sr, err := s.runStep(ctx, i, st)
		res.Steps = append(res.Steps, sr)
		if err != nil {
			res.Outcome, res.ErrorKind, res.Reason = Error, classify(err), s.mask.text(err.Error())
			return
		}
		if len(sr.Failures) > 0 {
			res.Outcome = Fail
			for _, f := range sr.Failures {
				res.Failures = append(res.Failures, Failure{Step: stepLabel(i, st), Message: f})
			}
			return
		}
	}
}

func classify(err error) ErrorKind {
	var se scenarioError
	if errors.As(err, &se) {
		return ScenarioError
	}
	return TargetError
}

func stepLabel(i int, st scenario.Step) string {
	name := st.Name
	switch {
	case name != "":
	case st.Request != nil:
		name = st.Request.Method + " " + st.Request.Path
	case st.Poll != nil:
		name = "poll " + st.Poll.Request.Method + " " + st.Poll.Request.Path
	case st.Token != nil:
		name = "new token for " + st.Token.Credential
	case st.Webhook != nil && st.Webhook.Respond != nil:
		name = "the receiver's answer"
	case st.Webhook != nil:
		name = "wait for a webhook"
	default:
		name = "control " + st.Control.Action
	}
	return fmt.Sprintf("step %d %q (line %d)", i+1, name, st.Line)
}

func (s *state) runStep(ctx context.Context, i int, st scenario.Step) (StepResult, error) {
	started := time.Now()
	sr := StepResult{Name: st.Name, Kind: st.Kind(), Line: st.Line, Exchanges: []Exchange{}}
	var err error
	switch {
	case st.Request != nil:
		err = s.requestStep(ctx, st, &sr)
	case st.Poll != nil:
		err = s.pollStep(ctx, st, &sr)
	case st.Control != nil:
		err = s.controlStep(ctx, st, &sr)
	case st.Token != nil:
		err = s.tokenStep(ctx, st, &sr)
	case st.Webhook != nil:
		err = s.webhookStep(ctx, st, &sr)
	}
	for j := range sr.Failures {
		sr.Failures[j] = s.mask.text(sr.Failures[j])
	}
	sr.Duration = time.Since(started)
	return sr, err
}
