package microsoft

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// The marketplace metering service (docs/microsoft.md §7, §10): usage of
// a plan's custom dimensions, one event per resource, dimension and
// calendar hour, at most 24 hours old, for an active subscription.

// Metering statuses of an event: the StatusEnum of a batch's items
// (docs/microsoft.md §7), also kept for each single event received.
const (
	usageAccepted              = "Accepted"
	usageExpired               = "Expired"
	usageDuplicate             = "Duplicate"
	usageError                 = "Error"
	usageResourceNotFound      = "ResourceNotFound"
	usageResourceNotAuthorized = "ResourceNotAuthorized"
	usageResourceNotActive     = "ResourceNotActive"
	usageInvalidDimension      = "InvalidDimension"
	usageInvalidQuantity       = "InvalidQuantity"
	usageBadArgument           = "BadArgument"
)

// maxBatch is the largest batch Microsoft takes (its file: maxItems 25).
const maxBatch = 25

// The routes an event comes in on, as the control API names them.
const (
	apiUsageEvent      = "usageEvent"
	apiBatchUsageEvent = "batchUsageEvent"
)

// usageEvent is one usage event as the service answers it: the echoed
// fields, and its id, status and time once judged (Microsoft's file:
// UsageEventOkResponse; a batch item adds error).
type usageEvent struct {
	UsageEventID       string     `json:"usageEventId,omitempty"`
	Status             string     `json:"status"`
	MessageTime        time.Time  `json:"messageTime,omitzero"`
	ResourceID         string     `json:"resourceId,omitempty"`
	ResourceURI        string     `json:"resourceUri,omitempty"`
	Quantity           float64    `json:"quantity"`
	Dimension          string     `json:"dimension,omitempty"`
	EffectiveStartTime time.Time  `json:"effectiveStartTime,omitzero"`
	PlanID             string     `json:"planId,omitempty"`
	Error              *errorBody `json:"error,omitempty"`
}

// conflictBody is the 409 of a duplicate (docs/microsoft.md §10), in
// Microsoft's words and grammar.
type conflictBody struct {
	AdditionalInfo struct {
		AcceptedMessage usageEvent `json:"acceptedMessage"`
	} `json:"additionalInfo"`
	Message string `json:"message"`
	Code    Code   `json:"code"`
}

const duplicateMessage = "This usage event already exist."

// httpStatusOfBatchItem is what a batch answers for each of its items.
const httpStatusOfBatchItem = http.StatusOK

func duplicateError(acceptedID string) *errorBody {
	return &errorBody{Code: usageDuplicate, Message: duplicateMessage + " Usage event " + acceptedID +
		" was accepted for this resource, dimension and hour.", Target: "usageEventRequest", Details: []ErrorDetail{}}
}

// postUsageEvent is POST /api/usageEvent: 200 with the accepted event;
// 400 BadArgument listing every problem (an unknown resource included:
// Microsoft documents no 404 for metering); 403 for another publisher's
// resource; 409 for a duplicate, with the accepted event inside.
func (m *Marketplace) postUsageEvent(w http.ResponseWriter, r *http.Request, c caller) error {
	now := m.now()
	body, err := m.readBody(r)
	if err != nil {
		err = asBadArgument(err)
		m.noteRefused(&usageEntry{ReceivedAt: now, API: apiUsageEvent}, err)
		return err
	}
	if len(body) == 0 {
		body = []byte("null")
	}
	e, problems := m.judgeUsage(body, c, now)
	e.API = apiUsageEvent
	if len(problems) > 0 {
		err := refusal(problems)
		m.noteRefused(e, err)
		return err
	}
	e.Event.UsageEventID, e.Event.Status, e.Event.MessageTime, e.HTTPStatus = subscription.NewID(), usageAccepted, now, http.StatusOK
	accepted, fresh := m.meters.accept(e, http.StatusConflict)
	m.noteTimeline(e)
	if !fresh {
		var out conflictBody
		out.AdditionalInfo.AcceptedMessage, out.Message, out.Code = accepted, duplicateMessage, CodeConflict
		out.AdditionalInfo.AcceptedMessage.Status = usageDuplicate
		writeJSON(w, http.StatusConflict, out)
		return nil
	}
	writeJSON(w, http.StatusOK, accepted)
	return nil
}

// refusal is the single event's error for its problems: 403 when the
// resource is another publisher's, else a 400 BadArgument with one
// detail per problem, each naming its field (docs/microsoft.md §10).
func refusal(problems []usageProblem) error {
	if problems[0].status == usageResourceNotAuthorized {
		return errForbidden()
	}
	details := make([]ErrorDetail, len(problems))
	for i, p := range problems {
		details[i] = ErrorDetail{Code: string(CodeBadArgument), Message: p.message, Target: p.target}
	}
	return &Error{Code: CodeBadArgument, Target: "usageEventRequest", Message: "One or more errors have occurred.", Details: details}
}

// noteRefused records a refused single event with the error it got.
func (m *Marketplace) noteRefused(e *usageEntry, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		return
	}
	e.HTTPStatus = ae.Code.Status()
	e.Event.Status = usageBadArgument
	if ae.Code == CodeForbidden {
		e.Event.Status = usageResourceNotAuthorized
	}
	e.Event.Error = &errorBody{Code: string(ae.Code), Message: ae.Message, Target: ae.Target, Details: ae.Details}
	m.meters.refused(e)
	m.noteTimeline(e)
}

// noteTimeline adds a received event to its subscription's timeline.
func (m *Marketplace) noteTimeline(e *usageEntry) {
	if e.SubscriptionID == "" {
		return
	}
	ev := e.Event
	detail := fmt.Sprintf("usage %s %s at %s (%s): %s", ev.Dimension, strconv.FormatFloat(ev.Quantity, 'g', -1, 64),
		ev.EffectiveStartTime.Format(time.RFC3339), e.API, ev.Status)
	switch {
	case ev.Error != nil && len(ev.Error.Details) > 0:
		// The details say what the envelope's message only summarises.
		for _, d := range ev.Error.Details {
			detail += " - " + d.Message
		}
	case ev.Error != nil:
		detail += " - " + ev.Error.Message
	default:
		detail += " " + ev.UsageEventID
	}
	m.subs.Note(e.SubscriptionID, subscription.Event{At: e.ReceivedAt, Kind: "usage", Detail: detail})
}

// badArgument is the metering service's 400 (docs/microsoft.md §10)
// for a request as a whole.
func badArgument(target, why string) error {
	return &Error{Code: CodeBadArgument, Target: "usageEventRequest", Message: "One or more errors have occurred.",
		Details: []ErrorDetail{{Code: string(CodeBadArgument), Message: why, Target: target}}}
}

// asBadArgument gives a refused body the metering service's envelope.
func asBadArgument(err error) error {
	if e, ok := err.(*Error); ok {
		return badArgument(e.Target, e.Message)
	}
	return err
}

// postBatchUsageEvent is POST /api/batchUsageEvent {"request": [...]}:
// 1 to 25 events, each judged on its own, in order (a duplicate of an
// earlier item is Duplicate), 200 {count, result}; anything else 400.
func (m *Marketplace) postBatchUsageEvent(w http.ResponseWriter, r *http.Request, c caller) error {
	body, err := m.readBody(r)
	if err != nil {
		return asBadArgument(err)
	}
	var batch map[string]json.RawMessage
	if err := json.Unmarshal(body, &batch); err != nil || batch == nil {
		return badArgument("body", `The body must be a JSON object {"request": [usage events]}.`)
	}
	var items []json.RawMessage
	if raw, ok := batch["request"]; !ok || string(raw) == "null" {
		return badArgument("request", `request is required: {"request": [usage events]}.`)
	} else if json.Unmarshal(raw, &items) != nil {
		return badArgument("request", "request must be an array of usage events.")
	}
	if len(items) == 0 || len(items) > maxBatch {
		return badArgument("request", fmt.Sprintf("A batch holds 1 to %d usage events, not %d.", maxBatch, len(items)))
	}
	now := m.now()
	result := make([]usageEvent, len(items))
	for i, raw := range items {
		result[i] = m.batchItem(raw, c, now)
	}
	writeJSON(w, http.StatusOK, struct {
		Count  int          `json:"count"`
		Result []usageEvent `json:"result"`
	}{len(result), result})
	return nil
}

// batchItem judges and records one item of a batch, and answers it.
func (m *Marketplace) batchItem(raw json.RawMessage, c caller, now time.Time) usageEvent {
	e, problems := m.judgeUsage(raw, c, now)
	e.API, e.HTTPStatus = apiBatchUsageEvent, httpStatusOfBatchItem
	if len(problems) > 0 {
		details := make([]ErrorDetail, len(problems))
		for i, p := range problems {
			details[i] = ErrorDetail{Code: p.status, Message: p.message, Target: p.target}
		}
		e.Event.Status = problems[0].status
		e.Event.Error = &errorBody{Code: problems[0].status, Message: problems[0].message, Target: problems[0].target, Details: details}
		m.meters.refused(e)
		m.noteTimeline(e)
		return e.Event
	}
	e.Event.UsageEventID, e.Event.Status, e.Event.MessageTime = subscription.NewID(), usageAccepted, now
	m.meters.accept(e, httpStatusOfBatchItem)
	m.noteTimeline(e)
	return e.Event
}
