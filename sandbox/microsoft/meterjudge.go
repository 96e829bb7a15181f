package microsoft

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// maxUsageQuantity is the largest quantity one event may carry [OURS]:
// Microsoft's file says only "double". A bound keeps every sum of the
// usage report finite (max_usage_events of them stay far below the
// largest double), where an unbounded one could make it +Inf, which JSON
// cannot carry.
const maxUsageQuantity = 1e12

// maxUsageAge is how old an event may be (docs/microsoft.md §7): one
// whose effectiveStartTime is more than 24 hours before the sandbox
// clock is Expired; exactly 24 hours is still accepted.
const maxUsageAge = 24 * time.Hour

// usageProblem is one reason an event is refused: the status a batch
// item gets for it (the StatusEnum), the field it is about, and why.
type usageProblem struct{ status, target, message string }

// judgeUsage reads one event and runs every rule on it. It returns the
// entry to record and the event's problems, the first of which gives its
// status; none means it may be accepted (unless it is a duplicate, which
// only the store can tell). Problems are gathered field by field, so a
// 400 lists every bad field at once; another publisher's resource is
// reported alone, saying nothing else about a resource not the caller's.
func (m *Marketplace) judgeUsage(raw json.RawMessage, c caller, now time.Time) (*usageEntry, []usageProblem) {
	e := &usageEntry{ReceivedAt: now}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		// Nothing to judge field by field: not a usage event at all.
		return e, []usageProblem{{usageError, "usageEventRequest", "A usage event must be a JSON object."}}
	}
	problems := readUsage(obj, &e.Event)
	if len(problems) > 0 {
		return e, problems
	}
	ev := &e.Event
	switch {
	case ev.Quantity <= 0:
		problems = append(problems, usageProblem{usageInvalidQuantity, "quantity", "quantity must be greater than 0."})
	case ev.Quantity > maxUsageQuantity:
		problems = append(problems, usageProblem{usageInvalidQuantity, "quantity", fmt.Sprintf("quantity must be at most %g.", maxUsageQuantity)})
	}
	switch {
	case ev.EffectiveStartTime.Before(now.Add(-maxUsageAge)):
		problems = append(problems, usageProblem{usageExpired, "effectiveStartTime", fmt.Sprintf(
			"effectiveStartTime %s is more than 24 hours before the current time %s.", ev.EffectiveStartTime.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))})
	case ev.EffectiveStartTime.After(now):
		problems = append(problems, usageProblem{usageBadArgument, "effectiveStartTime", fmt.Sprintf(
			"effectiveStartTime %s is in the future (the current time is %s).", ev.EffectiveStartTime.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))})
	}
	return e, m.judgeResource(e, c, problems)
}

// judgeResource adds the problems of the subscription the event names:
// unknown, another publisher's, not Subscribed, another plan, a
// dimension its plan lacks.
func (m *Marketplace) judgeResource(e *usageEntry, c caller, problems []usageProblem) []usageProblem {
	ev := &e.Event
	target := "resourceId"
	if ev.ResourceURI != "" {
		target = "resourceUri"
	}
	s, err := m.subs.Get(ev.ResourceID)
	if err != nil {
		return append(problems, usageProblem{usageResourceNotFound, target, fmt.Sprintf("Resource %s was not found.", ev.ResourceID)})
	}
	// The kept strings are the subscription's and the plan's where they
	// are equal, not the decoded copies: an accepted event is kept long.
	e.SubscriptionID, ev.ResourceID = s.ID, s.ID
	if s.PublisherID != c.publisher.ID {
		return []usageProblem{{usageResourceNotAuthorized, target, fmt.Sprintf("Resource %s does not belong to the publisher of the token.", ev.ResourceID)}}
	}
	e.publisherID, e.offerID = s.PublisherID, s.OfferID
	if s.SaasSubscriptionStatus != subscription.Subscribed {
		problems = append(problems, usageProblem{usageResourceNotActive, target, fmt.Sprintf("Resource %s is %s, not Subscribed.", ev.ResourceID, s.SaasSubscriptionStatus)})
	}
	if s.PlanID != ev.PlanID {
		problems = append(problems, usageProblem{usageBadArgument, "planId", fmt.Sprintf("planId %s is not the plan of resource %s, which is %s.", ev.PlanID, ev.ResourceID, s.PlanID)})
	} else {
		ev.PlanID = s.PlanID
	}
	plan := m.planOf(s)
	for _, d := range plan.PlanComponents.MeteringDimensions {
		if d.ID == ev.Dimension {
			ev.Dimension = d.ID
			return problems
		}
	}
	names := make([]string, 0, len(plan.PlanComponents.MeteringDimensions))
	for _, d := range plan.PlanComponents.MeteringDimensions {
		names = append(names, d.ID)
	}
	have := "has no metering dimensions"
	if len(names) > 0 {
		have = "has " + strings.Join(names, ", ")
	}
	return append(problems, usageProblem{usageInvalidDimension, "dimension", fmt.Sprintf("dimension %s is not a metering dimension of plan %s, which %s.", ev.Dimension, s.PlanID, have)})
}

// readUsage reads the fields of an event into ev, with a problem for each
// field missing or of the wrong type (Microsoft's file: UsageEvent).
// Unknown fields are ignored, as Microsoft's service ignores them; null
// is absent.
func readUsage(obj map[string]json.RawMessage, ev *usageEvent) []usageProblem {
	var problems []usageProblem
	bad := func(target, format string, args ...any) {
		problems = append(problems, usageProblem{usageBadArgument, target, fmt.Sprintf(format, args...)})
	}
	text := func(name string) (string, bool) {
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			return "", false
		}
		s, ok := jsonString(raw)
		if !ok {
			bad(name, "%s must be a string.", name)
		}
		return s, ok
	}
	id, hasID := text("resourceId")
	uri, hasURI := text("resourceUri")
	switch {
	case hasID && hasURI:
		bad("resourceUri", "Give resourceId or resourceUri, not both.")
	case hasID:
		if ev.ResourceID = strings.ToLower(id); !isGUID(id) {
			bad("resourceId", "resourceId must be a GUID (the subscription id), not %s.", strconv.Quote(cut(id)))
		}
	case hasURI:
		ev.ResourceURI = uri
		last := uri[strings.LastIndexByte(uri, '/')+1:]
		if ev.ResourceID = strings.ToLower(last); !isGUID(last) {
			bad("resourceUri", "resourceUri must end with the subscription id (a GUID), not %s.", strconv.Quote(cut(uri)))
		}
	case !hasFieldProblem(problems, "resourceId") && !hasFieldProblem(problems, "resourceUri"):
		bad("resourceId", "resourceId (or resourceUri) is required.")
	}
	if raw, ok := obj["quantity"]; !ok || string(raw) == "null" {
		bad("quantity", "quantity is required.")
	} else if q, why := number(raw); why != "" {
		bad("quantity", "quantity %s.", why)
	} else {
		ev.Quantity = q
	}
	for _, f := range []struct {
		name string
		into *string
	}{{"dimension", &ev.Dimension}, {"planId", &ev.PlanID}} {
		if s, ok := text(f.name); ok && s != "" {
			*f.into = s
		} else if !hasFieldProblem(problems, f.name) {
			bad(f.name, "%s is required.", f.name)
		}
	}
	if s, ok := text("effectiveStartTime"); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			bad("effectiveStartTime", "effectiveStartTime must be a date-time with its offset (RFC 3339), like 2026-03-07T10:00:00Z, not %s.", strconv.Quote(cut(s)))
		}
		ev.EffectiveStartTime = t.UTC()
	} else if !hasFieldProblem(problems, "effectiveStartTime") {
		bad("effectiveStartTime", "effectiveStartTime is required.")
	}
	return problems
}

// jsonString reads a JSON string value. raw is one value of a document
// already found valid, so a plain one (no escapes) is its bytes between
// the quotes; encoding/json reads the others.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; !slices.Contains(inner, '\\') {
		return string(inner), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// number reads a JSON number as a double, saying what is wrong otherwise.
// raw is one value of a document already found valid, so a value that
// starts like a number is a number, whose text ParseFloat reads as JSON
// writes it.
func number(raw json.RawMessage) (float64, string) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, "must be a number"
	}
	q, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || math.IsInf(q, 0):
		return 0, "is out of range"
	case err != nil:
		return 0, "must be a number"
	}
	return q, ""
}

func hasFieldProblem(problems []usageProblem, target string) bool {
	for _, p := range problems {
		if p.target == target {
			return true
		}
	}
	return false
}

// isGUID: 8-4-4-4-12 hexadecimal digits.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
			return false
		}
	}
	return true
}

// cut shortens a client's text for a message.
func cut(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
