package microsoft

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/outbound"
)

// WebhookRule makes matching webhooks misbehave the way a network or
// Microsoft's queue can (docs/microsoft.md §6: deliveries are retried, so
// they may come late, twice or out of order): the faults GitLab's scripts
// apply to Zuora's callouts, here for Microsoft's webhooks. A rule
// matches a subscription, an action, both or every webhook; Times > 0
// spends it on that many webhooks.
type WebhookRule struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	Action         string `json:"action,omitempty"`
	// Delay holds the first attempt back, on the sandbox clock ("30s").
	Delay   string `json:"delay,omitempty"`
	Drop    bool   `json:"drop,omitempty"`
	Hold    bool   `json:"hold,omitempty"`
	Copies  int    `json:"copies,omitempty"`
	Reorder bool   `json:"reorder,omitempty"`
	// Forge adds a forged copy after the webhook (ForgeSignature,
	// ForgeAudience): it names an operation that does not exist, and its
	// JWT must not pass the publisher's checks.
	Forge string `json:"forge,omitempty"`
	Times int    `json:"times,omitempty"`
}

// maxWebhookRules bounds the rule list.
const maxWebhookRules = 100

// webhookRules holds the rules in force, oldest first.
type webhookRules struct {
	// mu guards rules and seq.
	mu    sync.Mutex
	rules []WebhookRule
	seq   int
}

func (s *webhookRules) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.seq = nil, 0
}

func (s *webhookRules) list() []WebhookRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookRule{}, s.rules...)
}

func (s *webhookRules) add(r WebhookRule) (WebhookRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rules) >= maxWebhookRules {
		return r, controlConflict("At most %d webhook rules; delete some first.", maxWebhookRules)
	}
	s.seq++
	r.ID = "w" + strconv.Itoa(s.seq)
	s.rules = append(s.rules, r)
	return r, nil
}

func (s *webhookRules) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if r.ID == id {
			s.rules = append(s.rules[:i], s.rules[i+1:]...)
			return true
		}
	}
	return false
}

// plan is the plan of the first rule matching a webhook, spending one of
// its Times; ok is false when none matches.
func (s *webhookRules) plan(subID, action string) (outbound.Plan, forgery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if (r.SubscriptionID != "" && r.SubscriptionID != subID) || (r.Action != "" && r.Action != action) {
			continue
		}
		if r.Times > 0 {
			if s.rules[i].Times--; s.rules[i].Times == 0 {
				s.rules = append(s.rules[:i], s.rules[i+1:]...)
			}
		}
		why := outbound.Cause{Why: "webhook rule " + r.ID, Script: r.ID}
		p := outbound.Plan{Copies: r.Copies, CopiesScript: r.ID}
		p.Delay, _ = time.ParseDuration(r.Delay)
		var forge forgery
		if r.Forge != "" {
			p.Copies++
			forge = forgery{kind: r.Forge, rule: r.ID, copy: p.Copies}
		}
		switch {
		case r.Drop:
			p.Drop = why
		case r.Hold:
			p.Hold = why
		case r.Reorder:
			p.Reorder = why
		}
		return p, forge, true
	}
	return outbound.Plan{}, forgery{}, false
}

// addWebhookRule is POST /_sandbox/microsoft/webhooks/rules.
func (m *Marketplace) addWebhookRule(r *http.Request) (any, error) {
	var sub, action, delay, forge *string
	var drop, hold, reorder *bool
	var copies, times *int
	problems, err := m.readFields(r, map[string]func(json.RawMessage) error{
		"subscriptionId": setString(&sub), "action": setString(&action), "delay": setString(&delay),
		"drop": setBool(&drop), "hold": setBool(&hold), "reorder": setBool(&reorder), "copies": setInt(&copies), "times": setInt(&times),
		"forge": setString(&forge),
	})
	if err != nil {
		return nil, err
	}
	rule := WebhookRule{SubscriptionID: deref(sub, ""), Action: deref(action, ""), Delay: deref(delay, ""),
		Drop: deref(drop, false), Hold: deref(hold, false), Reorder: deref(reorder, false), Copies: deref(copies, 0), Times: deref(times, 0),
		Forge: deref(forge, "")}
	problems = append(problems, checkWebhookRule(rule)...)
	if len(problems) > 0 {
		return nil, controlInvalid(problems)
	}
	added, err := m.rules.add(rule)
	if err != nil {
		return nil, err
	}
	return answer{status: http.StatusCreated, body: added}, nil
}

func checkWebhookRule(r WebhookRule) []FieldProblem {
	var out []FieldProblem
	bad := func(field, format string, args ...any) {
		out = append(out, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if r.Action != "" {
		known := false
		for _, a := range subscription.Actions {
			known = known || string(a) == r.Action
		}
		if !known {
			bad("action", "%q is not one of ChangePlan, ChangeQuantity, Suspend, Reinstate, Unsubscribe, Renew", r.Action)
		}
	}
	if d, err := time.ParseDuration(r.Delay); r.Delay != "" && (err != nil || d < 0 || d > 24*time.Hour) {
		bad("delay", "must be a duration from 0s to 24h, like \"30s\"")
	}
	if r.Copies < 0 || r.Copies > 10 {
		bad("copies", "must be 0 to 10")
	}
	if r.Times < 0 || r.Times > 1000 {
		bad("times", "must be 0 (every webhook) to 1000")
	}
	n := 0
	for _, on := range []bool{r.Drop, r.Hold, r.Reorder} {
		if on {
			n++
		}
	}
	if n > 1 {
		bad("drop", "drop, hold and reorder exclude each other")
	}
	if r.Forge != "" && !slices.Contains(forgeries, r.Forge) {
		bad("forge", "%q is not %s", r.Forge, strings.Join(forgeries, " or "))
	}
	if r.Forge != "" && r.Drop {
		bad("forge", "a dropped webhook has no copy to forge")
	}
	if n == 0 && r.Delay == "" && r.Copies == 0 && r.Forge == "" {
		bad("effect", "give at least one of delay, drop, hold, copies, reorder, forge")
	}
	return out
}

// listWebhookRules is GET /_sandbox/microsoft/webhooks/rules.
func (m *Marketplace) listWebhookRules(r *http.Request) (any, error) {
	if _, err := noQuery(r); err != nil {
		return nil, err
	}
	return map[string]any{"rules": m.rules.list()}, nil
}

// deleteWebhookRule is DELETE /_sandbox/microsoft/webhooks/rules/{id}.
func (m *Marketplace) deleteWebhookRule(r *http.Request) (any, error) {
	if !m.rules.remove(mux.Vars(r)["id"]) {
		return nil, controlNotFound("No webhook rule %s.", mux.Vars(r)["id"])
	}
	return answer{status: http.StatusOK, body: map[string]string{"deleted": mux.Vars(r)["id"]}}, nil
}

// clearWebhookRules is DELETE /_sandbox/microsoft/webhooks/rules.
func (m *Marketplace) clearWebhookRules(r *http.Request) (any, error) {
	m.rules.reset()
	return map[string]any{"rules": []WebhookRule{}}, nil
}
