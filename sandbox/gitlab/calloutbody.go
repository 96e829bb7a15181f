package gitlab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// calloutAction is what the portal does with a callout event.
type calloutAction int

const (
	provisions calloutAction = iota + 1
	declines
)

// calloutEvents are the Zuora events the portal subscribes to (reference
// §6): "Order Processed" and "New Subscription Created" provision,
// "Payment Declined" fails the order. Names are Zuora's, matched exactly.
// Any other event is refused with a 422: the portal has no callout for it,
// and a Zuora tenant that sends one is misconfigured, which its callout
// history should show rather than a 200 that did nothing.
var calloutEvents = map[string]calloutAction{
	zuora.EventOrderProcessed:      provisions,
	zuora.EventSubscriptionCreated: provisions,
	zuora.EventPaymentDeclined:     declines,
}

// CalloutEvents lists the event names the callout endpoint accepts, for
// error messages and documentation.
func CalloutEvents() []string {
	names := make([]string, 0, len(calloutEvents))
	for name := range calloutEvents {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// notificationIDPattern is what a Zuora-Notification-Id may be: Zuora's are
// 32 hex digits; the sandbox takes any short printable token, used exactly
// as given (never trimmed or case-folded), since it is the dedupe key.
var notificationIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)

// readNotification reads and checks a callout: the notification id header,
// a strict JSON body (no unknown or repeated field, strings only) with a
// subscriptionNumber and a known event. Every problem is refused before
// anything is recorded, so a refused callout changes nothing.
func readNotification(r *http.Request, limit int64) (zuora.Notification, error) {
	var n zuora.Notification
	id := r.Header.Get("Zuora-Notification-Id")
	switch values := r.Header.Values("Zuora-Notification-Id"); {
	case id == "":
		return n, newError(CodeInvalidRequest, "Missing header Zuora-Notification-Id.")
	case len(values) > 1:
		return n, newError(CodeInvalidRequest, "Header Zuora-Notification-Id is given more than once; give it once.")
	case !notificationIDPattern.MatchString(id):
		return n, newError(CodeInvalidRequest, "Header Zuora-Notification-Id must be 1 to 128 letters, digits, '.', '_', '~' or '-'.")
	}
	if err := jsonContentType(r); err != nil {
		return n, err
	}
	body, err := readBody(r, limit)
	if err != nil {
		return n, err
	}
	if err := strictjson.Check(body); err != nil {
		return n, newError(CodeInvalidRequest, "The callout body must be one JSON object: "+err.Error()+".")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return n, newError(CodeInvalidRequest, "The callout body must be a JSON object of strings with the fields "+
			"notificationId, event, subscriptionNumber, accountNumber, orderNumber, reason: "+decodeProblem(err)+".")
	}
	var problems []openapi.FieldError
	if n.SubscriptionNumber == "" {
		problems = append(problems, openapi.FieldError{Field: "subscriptionNumber", Message: "is required"})
	}
	if _, ok := calloutEvents[n.Event]; !ok {
		problems = append(problems, openapi.FieldError{Field: "event", Message: fmt.Sprintf(
			"%s is not an event the portal has a callout for (%s)", quote(n.Event), strings.Join(CalloutEvents(), ", "))})
	}
	if n.ID != "" && n.ID != id {
		problems = append(problems, openapi.FieldError{Field: "notificationId", Message: "differs from the Zuora-Notification-Id header"})
	}
	if len(problems) > 0 {
		e := newError(CodeValidationFailed, "The callout cannot be processed.")
		e.Fields = problems
		return n, e
	}
	n.ID = id
	return n, nil
}
