package emulatorfake

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Operation statuses: the emulator knows only these three
// (src/types.ts OperationStatus), not NotStarted or Conflict.
const (
	InProgress = "InProgress"
	Succeeded  = "Succeeded"
	Failed     = "Failed"
)

// Subscription states the emulator moves between.
const (
	PendingFulfillmentStart = "PendingFulfillmentStart"
	Subscribed              = "Subscribed"
	Suspended               = "Suspended"
	Unsubscribed            = "Unsubscribed"
)

// Operation is the emulator's Operation (src/types.ts). Quantity is any
// because a marketplace event stores a string quantity as a string.
type Operation struct {
	ID                       string `json:"id"`
	OperationRequestedSource string `json:"operationRequestedSource"`
	ActivityID               string `json:"activityId"`
	SubscriptionID           string `json:"subscriptionId"`
	OfferID                  any    `json:"offerId"`
	PublisherID              string `json:"publisherId"`
	PlanID                   any    `json:"planId"`
	Quantity                 any    `json:"quantity,omitempty"`
	Action                   string `json:"action"`
	TimeStamp                string `json:"timeStamp"`
	Status                   string `json:"status"`
	ErrorStatusCode          string `json:"errorStatusCode"`
	ErrorMessage             string `json:"errorMessage"`
}

// ackable reports whether the emulator waits for the webhook's answer
// (isAckable): only ChangePlan and ChangeQuantity, not Reinstate.
func (o Operation) ackable() bool {
	return o.Action == "ChangePlan" || o.Action == "ChangeQuantity"
}

// Offer is one catalogue entry, stored as sent to POST /api/util/offers
// (offerId, displayName, publisher, persist, builtIn, plans{planId: Plan}).
// Plans stay free-form: the emulator reads only their keys and planId.
type Offer map[string]any

func (o Offer) plans() map[string]any {
	p, _ := o["plans"].(map[string]any)
	return p
}

// sampleOffers are this fake's built-in offers, re-added at every reset.
// The real emulator's two samples are not described in the research, so
// these are invented: one per-seat offer and one flat-rate offer.
func sampleOffers() map[string]Offer {
	plan := func(id, name string, perSeat bool, price float64) map[string]any {
		return map[string]any{
			"planId": id, "displayName": name, "isPricePerSeat": perSeat,
			"description": name + " (sample)",
			"planComponents": map[string]any{
				"recurrentBillingTerms": []any{map[string]any{
					"currency": "USD", "price": price, "termUnit": "P1M", "termDescription": "Monthly",
				}},
				"meteringDimensions": []any{},
			},
		}
	}
	return map[string]Offer{
		"sample-seats": {
			"offerId": "sample-seats", "displayName": "Sample per-seat offer", "publisher": "FourthCoffee",
			"persist": false, "builtIn": true,
			"plans": map[string]any{
				"seat-basic": plan("seat-basic", "Basic seats", true, 5),
				"seat-pro":   plan("seat-pro", "Pro seats", true, 12),
			},
		},
		"sample-flat": {
			"offerId": "sample-flat", "displayName": "Sample flat-rate offer", "publisher": "FourthCoffee",
			"persist": false, "builtIn": true,
			"plans": map[string]any{
				"flat-silver": plan("flat-silver", "Silver", false, 50),
				"flat-gold":   plan("flat-gold", "Gold", false, 90),
			},
		},
	}
}

// isoTime is how the emulator's dates serialise (Date/moment toJSON).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// newSubscription is generateSubscription with the token shallow-merged
// over the defaults, the emulator's own fields included (a token may set
// publisherId, saasSubscriptionStatus or term). The default values are this
// fake's choice; the research names the fields only.
func newSubscription(token map[string]any, publisherID string, now time.Time) map[string]any {
	party := func() map[string]any {
		return map[string]any{"emailId": "", "objectId": "", "tenantId": "", "puid": ""}
	}
	sub := map[string]any{
		"id": token["id"], "publisherId": publisherID, "offerId": "", "name": "",
		"saasSubscriptionStatus": PendingFulfillmentStart,
		"beneficiary":            party(), "purchaser": party(), "planId": "",
		"term":      map[string]any{"termUnit": "P1M"},
		"autoRenew": false, "isTest": false, "isFreeTrial": false,
		"allowedCustomerOperations": []any{"Read", "Update", "Delete"},
		"sandboxType":               "None", "lastModified": isoTime(now), "sessionMode": "None",
	}
	for k, v := range token {
		sub[k] = v
	}
	if q, ok := token["quantity"]; ok {
		// resolve parseInts whatever it gets; NaN serialises as null.
		if n, ok := parseInt(q); ok {
			sub["quantity"] = n
		} else {
			sub["quantity"] = nil
		}
	}
	return sub
}

// parseInt is JavaScript's parseInt(String(v)): leading whitespace, a
// sign, then decimal digits; no digits is NaN (ok false).
func parseInt(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		if math.Abs(x) < 1e21 {
			return math.Trunc(x), true
		}
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return 0, false
	default:
		return 0, false
	}
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	sign := 1.0
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	n, _ := strconv.ParseFloat(s[:end], 64)
	return sign * n, true
}

// decodePurchaseToken imitates purchase-token-decoder.ts: Node's lenient
// base64 (standard or URL-safe alphabet, padding optional, other
// characters skipped), UTF-8, newlines stripped, then JSON.parse.
func decodePurchaseToken(token string) (any, bool) {
	raw := nodeBase64(token)
	text := strings.ReplaceAll(strings.ToValidUTF8(string(raw), "\uFFFD"), "\n", "")
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, false
	}
	return v, true
}

// nodeBase64 decodes as Buffer.from(s, 'base64') does: both alphabets,
// characters outside them ignored, the first '=' ends the data.
func nodeBase64(s string) []byte {
	var out []byte
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			return out
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out
}

// addISODuration adds an ISO 8601 duration such as P1M, P1Y or P1DT2H the
// way moment's add does: months clamp to the end of a shorter month. An
// unreadable duration adds nothing.
func addISODuration(t time.Time, d string) time.Time {
	rest, ok := strings.CutPrefix(strings.ToUpper(d), "P")
	if !ok {
		return t
	}
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			inTime, rest = true, rest[1:]
			continue
		}
		end := 0
		for end < len(rest) && (rest[end] >= '0' && rest[end] <= '9' || rest[end] == '.') {
			end++
		}
		if end == 0 || end == len(rest) {
			return t
		}
		n, _ := strconv.ParseFloat(rest[:end], 64)
		unit := rest[end]
		rest = rest[end+1:]
		switch {
		case !inTime && unit == 'Y':
			t = addMonths(t, int(n)*12)
		case !inTime && unit == 'M':
			t = addMonths(t, int(n))
		case !inTime && unit == 'W':
			t = t.AddDate(0, 0, int(n)*7)
		case !inTime && unit == 'D':
			t = t.AddDate(0, 0, int(n))
		case inTime && unit == 'H':
			t = t.Add(time.Duration(n * float64(time.Hour)))
		case inTime && unit == 'M':
			t = t.Add(time.Duration(n * float64(time.Minute)))
		case inTime && unit == 'S':
			t = t.Add(time.Duration(n * float64(time.Second)))
		}
	}
	return t
}

func addMonths(t time.Time, months int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	target := first.AddDate(0, months, 0)
	last := target.AddDate(0, 1, -1).Day()
	day := min(t.Day(), last)
	return target.AddDate(0, 0, day-1)
}

// cloneJSON deep-copies a JSON-shaped value, so the store hands out copies.
func cloneJSON[T any](v T) T {
	b, _ := json.Marshal(v)
	var out T
	_ = json.Unmarshal(b, &out)
	return out
}

// parseFloatLoose is Number(s) for decimal text: surrounding whitespace
// is allowed, anything else not a number is NaN (ok false).
func parseFloatLoose(s string) (float64, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return n, err == nil
}
