package certify

import (
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// ChallengeSpec is a challenge as the suite writes it, its seeded choices
// still open.
type ChallengeSpec struct {
	ID, Describe string
	// Fault is the rule to arm, without its schedule; Nth is the range
	// [low, high] the matching request it fires on is drawn from.
	Fault *fault.Rule
	Nth   [2]int
	// Control is the control call to make, at the start or, with After,
	// once a journal entry triggers it; Delay then holds it back.
	Control *Control
	After   *Trigger
	Delay   time.Duration
}

// Challenge is one challenge planned for a seed: a fault rule armed from
// the start, or a control call made on the session's own control API at
// the start or when Trigger matches a journal entry.
type Challenge struct {
	ID, Describe string
	// Fault has its Schedule set: Every k, Times 1, so that it fires on
	// the k-th matching request only.
	Fault   *fault.Rule
	Control *Control
	// Trigger, when set, makes Control wait for the first journal entry
	// it matches; Delay (wall time) then holds the call back.
	Trigger *Trigger
	Delay   time.Duration
}

// Control is a request to a session's control API. Path and Body may hold
// "{key}" (the trigger's key), "{partner}" and "{client}" (the triggering
// entry's): Fill puts them in.
type Control struct {
	Method, Path string
	Body         []byte
}

// Fill is the call with its placeholders replaced from the entry that
// triggered it: escaped as a path segment in Path, as a JSON string's
// content in Body, so that no value can change the call's shape.
func (c Control) Fill(key string, e journal.Entry) Control {
	values := map[string]string{"{key}": key, "{partner}": e.Partner, "{client}": e.Client}
	out := Control{Method: c.Method, Path: c.Path, Body: c.Body}
	for ph, v := range values {
		out.Path = strings.ReplaceAll(out.Path, ph, url.PathEscape(v))
		if len(out.Body) > 0 {
			q, _ := json.Marshal(v)
			out.Body = []byte(strings.ReplaceAll(string(out.Body), ph, string(q[1:len(q)-1])))
		}
	}
	return out
}

// Trigger waits for a journal entry of a class, with a status when one is
// given, and names the thing it is about by a key.
type Trigger struct {
	Class string
	// Status, when not 0, is the status the entry must have.
	Status int
	// Key is the selector of the key; empty means the class's key.
	Key string

	class Class
	key   keySpec
}

// Match reports whether e triggers the call, and the key that fills
// "{key}". An entry without the key does not trigger a call that needs
// one; a faulted entry never triggers (the client saw no such answer).
func (t Trigger) Match(e journal.Entry) (key string, ok bool) {
	if !t.class.Matches(e) || (t.Status != 0 && e.Status != t.Status) || e.Fault != nil && transportFault(e) {
		return "", false
	}
	if len(t.key) == 0 {
		return "", true
	}
	return t.key.value(e)
}

// Arm plans the suite's challenges for seed: the same seed gives the same
// plan. Each challenge draws from its own source, derived from the seed
// and its id, so that adding a challenge to a suite changes no other's
// draw.
func (s Suite) Arm(seed int64) []Challenge {
	out := make([]Challenge, 0, len(s.Challenges))
	for _, c := range s.Challenges {
		ch := Challenge{ID: c.ID, Describe: c.Describe, Control: c.Control, Trigger: c.After, Delay: c.Delay}
		if c.Fault != nil {
			rule := *c.Fault
			k := c.Nth[0]
			if span := c.Nth[1] - c.Nth[0]; span > 0 {
				k += challengeSource(seed, c.ID).IntN(span + 1)
			}
			rule.Schedule = fault.Schedule{Every: k, Times: 1}
			ch.Fault = &rule
		}
		out = append(out, ch)
	}
	return out
}

func challengeSource(seed int64, id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}
