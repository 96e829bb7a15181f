// Package lifecycle checks that the states a client observes over time
// follow a resource's transition graph: no unknown state, no edge the API
// does not define, and nothing ever leaves a final state. A poll records
// every value it sees, so a regression that lasts one poll is still caught.
package lifecycle

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is a resource's state machine as seen by clients.
type Graph struct {
	Name string
	// Edges maps a state to the states it may move to. Staying in the
	// same state is always allowed (a poll may see a state many times).
	Edges map[string][]string
	// Final states never change.
	Final []string
}

// GitLabSubscription is the subscription status graph of GitLab's
// Marketplace API. GitLab names the four statuses publicly; the edges are
// the sandbox project's reading of the purchase flow (docs/gitlab.md §5):
// Creating → Created → Provisioned, with Failed reachable from Creating
// (Zuora or Salesforce error) and from Created (callout processing).
func GitLabSubscription() Graph {
	return Graph{
		Name: "gitlab.subscription",
		Edges: map[string][]string{
			"Creating": {"Created", "Failed"},
			"Created":  {"Provisioned", "Failed"},
		},
		Final: []string{"Provisioned", "Failed"},
	}
}

// Named returns the graph a scenario refers to by name.
func Named(name string) (Graph, bool) {
	switch name {
	case "gitlab.subscription":
		return GitLabSubscription(), true
	}
	return Graph{}, false
}

// States lists every state of the graph, sorted.
func (g Graph) States() []string {
	set := map[string]bool{}
	for from, tos := range g.Edges {
		set[from] = true
		for _, to := range tos {
			set[to] = true
		}
	}
	for _, f := range g.Final {
		set[f] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (g Graph) isFinal(s string) bool {
	for _, f := range g.Final {
		if f == s {
			return true
		}
	}
	return false
}

func (g Graph) allows(from, to string) bool {
	if from == to {
		return true
	}
	for _, t := range g.Edges[from] {
		if t == to {
			return true
		}
	}
	return false
}

func (g Graph) known(s string) bool {
	for _, k := range g.States() {
		if k == s {
			return true
		}
	}
	return false
}

// Trace is the sequence of states observed for one resource.
type Trace struct {
	graph Graph
	seen  []string
}

// NewTrace starts an empty trace on g.
func NewTrace(g Graph) *Trace { return &Trace{graph: g} }

// Observe appends a state and returns why it breaks the graph, or nil.
func (t *Trace) Observe(state string) error {
	prev := ""
	if len(t.seen) > 0 {
		prev = t.seen[len(t.seen)-1]
	}
	t.seen = append(t.seen, state)
	g := t.graph
	switch {
	case !g.known(state):
		return fmt.Errorf("%s status %q is not one of %s (seen: %s)", g.Name, state, strings.Join(g.States(), ", "), t)
	case prev == "" || !g.known(prev):
		return nil
	case g.isFinal(prev) && state != prev:
		return fmt.Errorf("%s status left final state %s for %s (seen: %s)", g.Name, prev, state, t)
	case !g.allows(prev, state):
		return fmt.Errorf("%s status moved %s → %s, which is not an allowed transition (seen: %s)", g.Name, prev, state, t)
	}
	return nil
}

// Seen returns the observed states in order.
func (t *Trace) Seen() []string { return append([]string{}, t.seen...) }

// String renders the trace with repeated states collapsed: "Created ×3 → Provisioned".
func (t *Trace) String() string { return Collapse(t.seen) }

// Collapse renders a sequence of states with repeats counted, so that a
// long poll stays readable.
func Collapse(states []string) string {
	var parts []string
	for i := 0; i < len(states); {
		j := i
		for j < len(states) && states[j] == states[i] {
			j++
		}
		if n := j - i; n > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", states[i], n))
		} else {
			parts = append(parts, states[i])
		}
		i = j
	}
	return strings.Join(parts, " → ")
}
