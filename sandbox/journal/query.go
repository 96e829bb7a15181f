package journal

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
)

// Query filters the journal; every field that is set must match.
type Query struct {
	// API is a marketplace's name ("gitlab"), "sandbox" or "none".
	API string
	// Direction is DirectionInbound, DirectionOutbound or DirectionSandbox.
	Direction               string
	Partner, Client, Method string
	Path                    pathpattern.Pattern
	// Status is an exact status, or with StatusClass a class (4 for 4xx).
	Status        int
	StatusClass   bool
	Since, Until  time.Time
	RequestID     string
	CorrelationID string
	Fault         string
	// Error matches entries whose error holds it, in any case
	// ("refused", "deadline"): outbound requests that got no answer.
	Error string
	Limit int
}

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (q Query) limit() int {
	if q.Limit == 0 {
		return DefaultLimit
	}
	return q.Limit
}

var queryParams = []string{"api", "direction", "partner", "client", "method", "path", "status", "since", "until", "requestId", "correlationId", "fault", "error", "limit"}

// ParseQuery reads a query from URL parameters, naming the first bad one.
func ParseQuery(v url.Values) (Query, error) {
	for name, values := range v {
		if !slices.Contains(queryParams, name) {
			return Query{}, fmt.Errorf("unknown parameter %q; the journal filters on %s", name, strings.Join(queryParams, ", "))
		}
		if len(values) > 1 {
			return Query{}, fmt.Errorf("parameter %s given %d times; give it once", name, len(values))
		}
	}
	q := Query{API: v.Get("api"), Direction: v.Get("direction"), Partner: v.Get("partner"), Client: v.Get("client"), Method: strings.ToUpper(v.Get("method")),
		RequestID: v.Get("requestId"), CorrelationID: v.Get("correlationId"), Fault: v.Get("fault"), Error: v.Get("error")}
	var err error
	if d := q.Direction; d != "" && d != DirectionInbound && d != DirectionOutbound && d != DirectionSandbox {
		return Query{}, fmt.Errorf("direction: %q is not %s, %s or %s", d, DirectionInbound, DirectionOutbound, DirectionSandbox)
	}
	if p := v.Get("path"); p != "" {
		if q.Path, err = pathpattern.Parse(p); err != nil {
			return Query{}, fmt.Errorf("path: %q %v", p, err)
		}
	}
	if err := q.parseStatus(v.Get("status")); err != nil {
		return Query{}, err
	}
	if q.Since, err = parseTime("since", v.Get("since")); err != nil {
		return Query{}, err
	}
	if q.Until, err = parseTime("until", v.Get("until")); err != nil {
		return Query{}, err
	}
	if text := v.Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > MaxLimit {
			return Query{}, fmt.Errorf("limit: %q is not a number from 1 to %d", text, MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

func (q *Query) parseStatus(text string) error {
	switch {
	case text == "":
		return nil
	case len(text) == 3 && strings.HasSuffix(strings.ToLower(text), "xx") && text[0] >= '1' && text[0] <= '5':
		q.Status, q.StatusClass = int(text[0]-'0'), true
		return nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > 599 || n > 0 && n < 100 {
		return fmt.Errorf("status: %q is not a status such as 404, a class such as 4xx, or 0 (no answer)", text)
	}
	q.Status = n
	if n == 0 {
		q.Status, q.StatusClass = -1, false // 0 means "no answer", not "any"
	}
	return nil
}

func parseTime(name, text string) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2030-01-01T00:00:00Z", name, text)
	}
	return t, nil
}

func (q Query) matches(e *record) bool {
	switch {
	case q.API != "" && e.api != q.API,
		q.Direction != "" && e.direction() != q.Direction,
		q.Partner != "" && e.partner != q.Partner,
		q.Client != "" && e.client != q.Client,
		q.Method != "" && e.method != q.Method,
		!q.Path.Match(e.path),
		!q.statusMatches(e.status),
		!q.Since.IsZero() && e.at.Before(q.Since),
		!q.Until.IsZero() && !e.at.Before(q.Until),
		q.RequestID != "" && e.requestID != q.RequestID,
		q.CorrelationID != "" && !slices.Contains(e.correlationIDs, q.CorrelationID),
		q.Fault != "" && (e.fault == nil || e.fault.Rule != q.Fault),
		q.Error != "" && !containsFold(e.err, q.Error):
		return false
	}
	return true
}

func (q Query) statusMatches(status int) bool {
	switch {
	case q.Status == 0:
		return true
	case q.Status == -1:
		return status == 0
	case q.StatusClass:
		return status/100 == q.Status
	}
	return status == q.Status
}

// containsFold reports whether s holds sub in any case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
