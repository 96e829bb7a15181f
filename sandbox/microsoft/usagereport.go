package microsoft

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// usageRecord is one row of GET /api/usageEvents: a day's accepted usage
// of one dimension of one resource (docs/microsoft.md §10).
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

// The reconciliation statuses of a report row (docs/microsoft.md §10).
// The sandbox processes an accepted event at once and in full, so its
// rows are Accepted; the others are known so that a filter on them is
// valid (and lists nothing).
var reconStatuses = []string{"Submitted", "Accepted", "Rejected", "Mismatch"}

// usageFilters are the query parameters of GET /api/usageEvents besides
// api-version, as Microsoft's page spells them. ASP.NET binds query
// parameters without regard to case, and so does the sandbox.
var usageFilters = []string{"usageStartDate", "UsageEndDate", "offerId", "planId", "dimension", "azureSubscriptionId", "reconStatus"}

// usageQuery is a checked query of GET /api/usageEvents.
type usageQuery struct {
	from, to time.Time
	// filters by canonical name; absent when not given.
	filters map[string]string
}

// readUsageQuery checks the report's query: usageStartDate required, every
// name known and given once, dates readable, reconStatus one of its four
// values, azureSubscriptionId a GUID. UsageEndDate defaults to the
// sandbox clock; a date alone as UsageEndDate takes in its whole day.
func readUsageQuery(q url.Values, now time.Time) (usageQuery, error) {
	uq := usageQuery{filters: map[string]string{}, to: now}
	for name, values := range q {
		if name == "api-version" {
			continue
		}
		i := slices.IndexFunc(usageFilters, func(f string) bool { return strings.EqualFold(f, name) })
		if i < 0 {
			return uq, badArgument(name, fmt.Sprintf("Unknown query parameter %s: GET usageEvents takes %s.", strconv.Quote(cut(name)), strings.Join(usageFilters, ", ")))
		}
		canonical := usageFilters[i]
		if _, twice := uq.filters[canonical]; twice || len(values) > 1 {
			return uq, badArgument(canonical, fmt.Sprintf("%s is given more than once; give it once.", canonical))
		}
		uq.filters[canonical] = values[0]
	}
	start, ok := uq.filters["usageStartDate"]
	if !ok {
		return uq, badArgument("usageStartDate", "usageStartDate is required: a date (2026-03-07) or a date-time (2026-03-07T10:00:00Z).")
	}
	var err error
	if uq.from, _, err = usageDate(start); err != nil {
		return uq, badArgument("usageStartDate", "usageStartDate "+err.Error())
	}
	if end, ok := uq.filters["UsageEndDate"]; ok {
		t, dateOnly, err := usageDate(end)
		if err != nil {
			return uq, badArgument("UsageEndDate", "UsageEndDate "+err.Error())
		}
		if uq.to = t; dateOnly {
			uq.to = t.Add(24*time.Hour - time.Nanosecond)
		}
		if uq.to.Before(uq.from) {
			return uq, badArgument("UsageEndDate", "UsageEndDate is before usageStartDate.")
		}
	}
	if s, ok := uq.filters["reconStatus"]; ok && !slices.ContainsFunc(reconStatuses, func(r string) bool { return strings.EqualFold(r, s) }) {
		return uq, badArgument("reconStatus", fmt.Sprintf("reconStatus must be one of %s, not %s.", strings.Join(reconStatuses, ", "), strconv.Quote(cut(s))))
	}
	if s, ok := uq.filters["azureSubscriptionId"]; ok && !isGUID(s) {
		return uq, badArgument("azureSubscriptionId", fmt.Sprintf("azureSubscriptionId must be a GUID, not %s.", strconv.Quote(cut(s))))
	}
	return uq, nil
}

// usageDate reads a report date as Microsoft's page gives them
// (2020-12-03 or 2020-12-03T15:00), or a full RFC 3339 date-time; one
// without an offset is UTC. It says whether it was a date alone.
func usageDate(s string) (time.Time, bool, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("must be a date (2026-03-07) or a date-time (2026-03-07T10:00, 2026-03-07T10:00:00Z), not %s.", strconv.Quote(cut(s)))
}

// matches: the filter name is absent or equals value (without regard to
// case, as the service compares ids).
func (uq usageQuery) matches(name, value string) bool {
	f, ok := uq.filters[name]
	return !ok || strings.EqualFold(f, value)
}

// listUsageEvents is GET /api/usageEvents: the caller's accepted usage
// whose effectiveStartTime lies from usageStartDate to UsageEndDate,
// summed per usage date (UTC), resource and dimension, ordered by date,
// resource and dimension.
func (m *Marketplace) listUsageEvents(w http.ResponseWriter, r *http.Request, c caller) error {
	q, err := query(r)
	if err != nil {
		return asBadArgument(err)
	}
	uq, err := readUsageQuery(q, m.now())
	if err != nil {
		return err
	}
	events := m.meters.acceptedEvents(func(e *usageEntry) bool {
		t := e.Event.EffectiveStartTime
		return e.publisherID == c.publisher.ID && !t.Before(uq.from) && !t.After(uq.to) &&
			uq.matches("offerId", e.offerID) && uq.matches("planId", e.Event.PlanID) && uq.matches("dimension", e.Event.Dimension) &&
			uq.matches("reconStatus", "Accepted") && uq.matches("azureSubscriptionId", "")
	})
	type rowKey struct {
		day                 time.Time
		resource, dimension string
	}
	rows := map[rowKey]*usageRecord{}
	for _, e := range events {
		k := rowKey{e.Event.EffectiveStartTime.Truncate(24 * time.Hour), e.Event.ResourceID, e.Event.Dimension}
		rec, ok := rows[k]
		if !ok {
			// The fixtures give an offer no name of its own: its id is its name.
			plan, _ := m.catalog.plan(e.offerID, e.Event.PlanID)
			rec = &usageRecord{UsageDate: k.day, UsageResourceID: k.resource, Dimension: k.dimension, PlanID: e.Event.PlanID,
				PlanName: plan.DisplayName, OfferID: e.offerID, OfferName: e.offerID, OfferType: "SaaS", ReconStatus: "Accepted"}
			rows[k] = rec
		}
		rec.SubmittedQuantity += e.Event.Quantity
		rec.ProcessedQuantity += e.Event.Quantity
		rec.SubmittedCount++
	}
	out := make([]usageRecord, 0, len(rows))
	for _, rec := range rows {
		out = append(out, *rec)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.UsageDate.Equal(b.UsageDate) {
			return a.UsageDate.Before(b.UsageDate)
		}
		if a.UsageResourceID != b.UsageResourceID {
			return a.UsageResourceID < b.UsageResourceID
		}
		return a.Dimension < b.Dimension
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}
