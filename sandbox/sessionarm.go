package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// challengeSpec is one challenge of a certification suite, its seeded
// choices made (package certify plans them): a fault rule armed on the
// session's traffic from the start, or a control call made on the
// session's own control API at the start or when a journal entry
// triggers it.
type challengeSpec struct {
	ID, Describe string
	Fault        *fault.Rule
	Control      *controlCall
	// Trigger, when set, makes Control wait for the first journal entry
	// it matches, and gives the call filled in from that entry. Delay
	// then holds the call back (wall time).
	Trigger func(journal.Entry) (controlCall, bool)
	Delay   time.Duration
}

// controlCall is a request to a session's control API.
type controlCall struct {
	Method, Path string
	Body         []byte
}

// Challenge states.
const (
	challengeArmed  = "armed"
	challengeFired  = "fired"
	challengeFailed = "failed"
)

// challengeView is how a session shows a challenge.
type challengeView struct {
	ID       string `json:"id"`
	Describe string `json:"describe"`
	State    string `json:"state"`
	// Detail says why a challenge failed (its control call's answer).
	Detail string `json:"detail,omitempty"`
}

// arming holds a session's challenges and what became of them. It owns
// its lock; its worker makes the triggered control calls.
type arming struct {
	specs []challengeSpec
	queue chan int

	// mu guards the fields below; calls are the control calls as their
	// trigger filled them in.
	mu     sync.Mutex
	state  []string
	detail []string
	calls  []controlCall
	// box is the session's sandbox, set once it is built (it is built
	// with the arming's fault rules and observer).
	box *Sandbox
}

func (a *arming) sandbox() *Sandbox {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.box
}

func (a *arming) attach(box *Sandbox) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.box = box
}

// challengeQueue bounds the triggered calls waiting for the worker; there
// are at most as many as challenges, each fires once.
const challengeQueue = 64

func newArming(specs []challengeSpec) *arming {
	a := &arming{specs: specs, queue: make(chan int, challengeQueue),
		state: make([]string, len(specs)), detail: make([]string, len(specs)), calls: make([]controlCall, len(specs))}
	for i := range a.state {
		a.state[i] = challengeArmed
	}
	return a
}

// faultRules are the challenges' fault rules: the session's sandbox
// starts with them (and a reset of the session restores them).
func (a *arming) faultRules() fault.Rules {
	var rules fault.Rules
	for _, c := range a.specs {
		if c.Fault != nil {
			rules = append(rules, *c.Fault)
		}
	}
	return rules
}

// observe is the session journal's observer: it fires the triggered
// challenges an entry matches. It runs on the request's goroutine, so it
// only matches and queues.
func (a *arming) observe(e journal.Entry) {
	for i, c := range a.specs {
		if c.Trigger == nil || c.Control == nil {
			continue
		}
		call, ok := c.Trigger(e)
		if !ok || !a.claim(i, call) {
			continue
		}
		select {
		case a.queue <- i:
		default:
			a.settle(i, challengeFailed, "too many challenges triggered at once")
		}
	}
}

// claim moves challenge i from armed to firing once, with the call it
// is to make.
func (a *arming) claim(i int, call controlCall) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state[i] != challengeArmed {
		return false
	}
	a.state[i], a.calls[i] = "firing", call
	return true
}

func (a *arming) settle(i int, state, detail string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.state[i], a.detail[i] = state, detail
}

// run makes the untriggered control calls, then the triggered ones as
// they come, until ctx ends.
func (a *arming) run(ctx context.Context) {
	for i, c := range a.specs {
		if c.Control != nil && c.Trigger == nil && a.claim(i, *c.Control) {
			a.call(ctx, i)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-a.queue:
			if d := a.specs[i].Delay; d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			a.call(ctx, i)
		}
	}
}

// call makes challenge i's control call on the session's sandbox, in
// process.
func (a *arming) call(ctx context.Context, i int) {
	a.mu.Lock()
	c := a.calls[i]
	a.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, c.Method, "http://session"+c.Path, bytes.NewReader(c.Body))
	if err != nil {
		a.settle(i, challengeFailed, err.Error())
		return
	}
	if len(c.Body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	w := &answerRecorder{header: http.Header{}}
	a.sandbox().Handler().ServeHTTP(w, req)
	if w.status >= 300 {
		a.settle(i, challengeFailed, fmt.Sprintf("%s %s answered %d: %s", c.Method, c.Path, w.status, strings.TrimSpace(w.body.String())))
		return
	}
	a.settle(i, challengeFired, "")
}

// views shows every challenge; a fault challenge has fired once its rule
// has.
func (a *arming) views() []challengeView {
	out := make([]challengeView, 0, len(a.specs))
	hits := map[string]int{}
	if box := a.sandbox(); box != nil {
		for _, v := range box.faults.List() {
			hits[v.ID] = v.Hits
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.specs {
		v := challengeView{ID: c.ID, Describe: c.Describe, State: a.state[i], Detail: a.detail[i]}
		if c.Fault != nil && hits[c.Fault.ID] > 0 {
			v.State = challengeFired
		}
		if v.State == "firing" {
			v.State = challengeArmed
		}
		out = append(out, v)
	}
	return out
}

// answerRecorder keeps the status and body of an in-process answer.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *answerRecorder) Header() http.Header { return w.header }

func (w *answerRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *answerRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len() < 4096 {
		w.body.Write(p[:min(len(p), 4096-w.body.Len())])
	}
	return len(p), nil
}
