package microsoft

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// The marketplace metering service (docs/microsoft.md §7, §10): usage of
// a plan's custom dimensions, one event per resource, dimension and
// calendar hour, at most 24 hours old.

// Metering statuses of an event (the batch answer's StatusEnum).
const (
	usageAccepted              = "Accepted"
	usageExpired               = "Expired"
	usageDuplicate             = "Duplicate"
	usageResourceNotFound      = "ResourceNotFound"
	usageResourceNotAuthorized = "ResourceNotAuthorized"
	usageResourceNotActive     = "ResourceNotActive"
	usageInvalidDimension      = "InvalidDimension"
	usageInvalidQuantity       = "InvalidQuantity"
	usageBadArgument           = "BadArgument"
)

// maxBatch is the largest batch Microsoft takes.
const maxBatch = 25

// usageEvent is one usage event, as sent and as answered.
type usageEvent struct {
	UsageEventID       string     `json:"usageEventId,omitempty"`
	Status             string     `json:"status,omitempty"`
	MessageTime        *time.Time `json:"messageTime,omitempty"`
	ResourceID         string     `json:"resourceId"`
	Quantity           float64    `json:"quantity"`
	Dimension          string     `json:"dimension"`
	EffectiveStartTime time.Time  `json:"effectiveStartTime"`
	PlanID             string     `json:"planId"`
	Error              *errorBody `json:"error,omitempty"`
	subscription       *subscription.Subscription
}

// usageRequest is an event as the publisher sends it, before checks.
type usageRequest struct {
	ResourceID string `json:"resourceId"`
	// Quantity is a double in Microsoft's file (usage may be fractional);
	// nil when the event has none.
	Quantity           *float64 `json:"quantity"`
	Dimension          string   `json:"dimension"`
	EffectiveStartTime string   `json:"effectiveStartTime"`
	PlanID             string   `json:"planId"`
}

// meterStore keeps the newest microsoft.max_usage_events accepted usage
// events, for duplicate detection and GET /api/usageEvents. Beyond it the
// oldest is forgotten: a duplicate of it is accepted again, and it leaves
// the report. Events older than 24 hours are refused anyway, so with a
// bound above a day's events duplicate detection is unchanged.
type meterStore struct {
	// mu guards byKey and order.
	mu    sync.Mutex
	byKey map[string]usageEvent
	order boundedLog[string]
}

func newMeterStore(max int) *meterStore {
	return &meterStore{byKey: map[string]usageEvent{}, order: newBoundedLog[string](max)}
}

func (s *meterStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byKey = map[string]usageEvent{}
	s.order.reset()
}

func meterKey(e usageEvent) string {
	return e.ResourceID + "\x00" + e.Dimension + "\x00" + e.EffectiveStartTime.UTC().Truncate(time.Hour).Format(time.RFC3339)
}

// accept stores e unless its resource, dimension and hour already have
// an event: then it returns that one, Duplicate.
func (s *meterStore) accept(e usageEvent) (usageEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := meterKey(e)
	if prev, ok := s.byKey[k]; ok {
		return prev, false
	}
	s.byKey[k] = e
	if oldest, dropped := s.order.add(k); dropped {
		delete(s.byKey, oldest)
	}
	return e, true
}

func (s *meterStore) list() []usageEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.order.all()
	out := make([]usageEvent, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.byKey[k])
	}
	return out
}

// checkUsage runs every rule on one event and returns its status and,
// when it is not Accepted, why.
func (m *Marketplace) checkUsage(req usageRequest, c caller, now time.Time) (usageEvent, string, string) {
	e := usageEvent{ResourceID: req.ResourceID, Dimension: req.Dimension, PlanID: req.PlanID}
	if req.Quantity != nil {
		e.Quantity = *req.Quantity
	}
	start, err := time.Parse(time.RFC3339, req.EffectiveStartTime)
	switch {
	case req.ResourceID == "" || req.Quantity == nil || req.Dimension == "" || req.PlanID == "" || req.EffectiveStartTime == "":
		return e, usageBadArgument, "resourceId, quantity, dimension, effectiveStartTime and planId are required."
	case err != nil:
		return e, usageBadArgument, "effectiveStartTime must be a date-time (RFC 3339)."
	}
	e.EffectiveStartTime = start.UTC()
	switch {
	case e.Quantity <= 0:
		return e, usageInvalidQuantity, "quantity must be greater than 0."
	case start.Before(now.Add(-24 * time.Hour)):
		return e, usageExpired, "The usage event is older than 24 hours."
	case start.After(now.Add(time.Hour)):
		return e, usageBadArgument, "effectiveStartTime is in the future."
	}
	s, err := m.subs.Get(req.ResourceID)
	switch {
	case err != nil:
		return e, usageResourceNotFound, fmt.Sprintf("Resource %s not found.", req.ResourceID)
	case s.PublisherID != c.publisher.ID:
		return e, usageResourceNotAuthorized, fmt.Sprintf("Resource %s does not belong to the publisher.", req.ResourceID)
	case s.SaasSubscriptionStatus != subscription.Subscribed:
		return e, usageResourceNotActive, fmt.Sprintf("Resource %s is %s, not Subscribed.", req.ResourceID, s.SaasSubscriptionStatus)
	case s.PlanID != req.PlanID:
		return e, usageBadArgument, fmt.Sprintf("planId %s is not the plan of resource %s.", req.PlanID, req.ResourceID)
	}
	plan := m.planOf(s)
	for _, d := range plan.PlanComponents.MeteringDimensions {
		if d.ID == req.Dimension {
			e.subscription = &s
			return e, usageAccepted, ""
		}
	}
	return e, usageInvalidDimension, fmt.Sprintf("Dimension %s is not a metering dimension of plan %s.", req.Dimension, req.PlanID)
}

// record accepts a checked event, or finds the duplicate.
func (m *Marketplace) record(e usageEvent, now time.Time) (usageEvent, string) {
	e.UsageEventID, e.Status, e.MessageTime = subscription.NewID(), usageAccepted, &now
	stored, fresh := m.meters.accept(e)
	if !fresh {
		stored.Status = usageDuplicate
		return stored, usageDuplicate
	}
	return stored, usageAccepted
}

// postUsageEvent is POST /api/usageEvent.
func (m *Marketplace) postUsageEvent(w http.ResponseWriter, r *http.Request, c caller) error {
	body, err := m.readBody(r)
	if err != nil {
		return asBadArgument(err)
	}
	var req usageRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return badArgument("The body must be a usage event: " + jsonProblem(err))
	}
	now := m.now()
	e, status, why := m.checkUsage(req, c, now)
	switch status {
	case usageAccepted:
	case usageResourceNotAuthorized:
		return errForbidden()
	default:
		return badArgument(why)
	}
	stored, status := m.record(e, now)
	if status == usageDuplicate {
		writeJSON(w, http.StatusConflict, map[string]any{"additionalInfo": map[string]any{"acceptedMessage": stored},
			"message": "This usage event already exist.", "code": "Conflict"})
		return nil
	}
	writeJSON(w, http.StatusOK, stored)
	return nil
}

// badArgument is the metering service's 400 (docs/microsoft.md §10).
func badArgument(why string) error {
	return &Error{Code: CodeBadArgument, Target: "usageEventRequest", Message: "One or more errors have occurred.",
		Details: []ErrorDetail{{Code: string(CodeBadArgument), Message: why, Target: "usageEventRequest"}}}
}

// asBadArgument gives a refused body the metering service's envelope.
func asBadArgument(err error) error {
	if e, ok := err.(*Error); ok {
		return badArgument(e.Message)
	}
	return err
}

// jsonProblem phrases a decoding error without echoing the body: a
// number too large for its field is out of range, which is not the same
// mistake as a value of another type.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "malformed JSON"
	}
	want := "a string"
	switch te.Type.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int32, reflect.Int64:
		if strings.HasPrefix(te.Value, "number") {
			return te.Field + " is out of range"
		}
		want = "a number"
	case reflect.Struct, reflect.Map:
		want = "an object"
	}
	return te.Field + " must be " + want
}

// postBatchUsageEvent is POST /api/batchUsageEvent {request: [...]}: each
// event gets its own status; more than 25 is 400.
func (m *Marketplace) postBatchUsageEvent(w http.ResponseWriter, r *http.Request, c caller) error {
	body, err := m.readBody(r)
	if err != nil {
		return asBadArgument(err)
	}
	var batch struct {
		Request []json.RawMessage `json:"request"`
	}
	if err := json.Unmarshal(body, &batch); err != nil || batch.Request == nil {
		return badArgument("The body must be {\"request\": [usage events]}.")
	}
	if len(batch.Request) > maxBatch {
		return badArgument(fmt.Sprintf("A batch holds at most %d usage events, not %d.", maxBatch, len(batch.Request)))
	}
	now := m.now()
	result := make([]usageEvent, 0, len(batch.Request))
	for _, raw := range batch.Request {
		var req usageRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			result = append(result, usageEvent{Status: usageBadArgument, Error: &errorBody{Code: usageBadArgument, Message: jsonProblem(err), Details: []ErrorDetail{}}})
			continue
		}
		e, status, why := m.checkUsage(req, c, now)
		if status == usageAccepted {
			e, status = m.record(e, now)
		} else {
			e.Error = &errorBody{Code: status, Message: why, Target: "usageEventRequest", Details: []ErrorDetail{}}
		}
		e.Status = status
		result = append(result, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(result), "result": result})
	return nil
}

// usageRecord is one line of GET /api/usageEvents: a day's usage of one
// dimension of one resource.
type usageRecord struct {
	UsageDate           time.Time `json:"usageDate"`
	UsageResourceID     string    `json:"usageResourceId"`
	Dimension           string    `json:"dimension"`
	PlanID              string    `json:"planId"`
	PlanName            string    `json:"planName"`
	OfferID             string    `json:"offerId"`
	OfferName           string    `json:"offerName"`
	OfferType           string    `json:"offerType"`
	AzureSubscriptionID string    `json:"azureSubscriptionId"`
	ReconStatus         string    `json:"reconStatus"`
	SubmittedQuantity   float64   `json:"submittedQuantity"`
	ProcessedQuantity   float64   `json:"processedQuantity"`
	SubmittedCount      int       `json:"submittedCount"`
}

// listUsageEvents is GET /api/usageEvents?usageStartDate=[&UsageEndDate&
// offerId&planId&dimension]: the caller's accepted usage by day.
func (m *Marketplace) listUsageEvents(w http.ResponseWriter, r *http.Request, c caller) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	from, err := time.Parse(time.RFC3339, q.Get("usageStartDate"))
	if err != nil {
		if from, err = time.Parse(time.DateOnly, q.Get("usageStartDate")); err != nil {
			return badArgument("usageStartDate is required: a date or date-time.")
		}
	}
	to := m.now().Add(24 * time.Hour)
	if end := firstOf(q, "UsageEndDate", "usageEndDate"); end != "" {
		if to, err = time.Parse(time.RFC3339, end); err != nil {
			if to, err = time.Parse(time.DateOnly, end); err != nil {
				return badArgument("UsageEndDate must be a date or date-time.")
			}
		}
	}
	byDay := map[string]*usageRecord{}
	var keys []string
	for _, e := range m.meters.list() {
		s := e.subscription
		if s == nil || s.PublisherID != c.publisher.ID || e.EffectiveStartTime.Before(from) || !e.EffectiveStartTime.Before(to) ||
			!matches(q, "offerId", s.OfferID) || !matches(q, "planId", e.PlanID) || !matches(q, "dimension", e.Dimension) {
			continue
		}
		day := e.EffectiveStartTime.Truncate(24 * time.Hour)
		k := day.Format(time.DateOnly) + "\x00" + e.ResourceID + "\x00" + e.Dimension
		rec, ok := byDay[k]
		if !ok {
			plan := m.planOf(*s)
			rec = &usageRecord{UsageDate: day, UsageResourceID: e.ResourceID, Dimension: e.Dimension, PlanID: e.PlanID, PlanName: plan.DisplayName,
				OfferID: s.OfferID, OfferName: s.OfferID, OfferType: "SaaS", ReconStatus: "Accepted"}
			byDay[k] = rec
			keys = append(keys, k)
		}
		rec.SubmittedQuantity += e.Quantity
		rec.ProcessedQuantity += e.Quantity
		rec.SubmittedCount++
	}
	sort.Strings(keys)
	out := make([]usageRecord, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byDay[k])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func firstOf(q map[string][]string, names ...string) string {
	for _, n := range names {
		if v := q[n]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func matches(q map[string][]string, name, value string) bool {
	v := q[name]
	return len(v) == 0 || strings.EqualFold(v[0], value)
}
