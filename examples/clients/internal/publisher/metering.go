package publisher

import (
	"context"
	"time"
)

// meteredResource is a metered subscription: its plan's dimensions and
// the last hour reported.
type meteredResource struct {
	planID     string
	dimensions []string
	last       time.Time
}

// watchMetering notes sub for hourly metering if its plan has metering
// dimensions.
func (a *app) watchMetering(ctx context.Context, sub resolved) error {
	dims, err := a.api.dimensions(ctx, sub.ID, sub.PlanID)
	if err != nil || len(dims) == 0 {
		return err
	}
	a.mu.Lock()
	a.metered[sub.ID] = meteredResource{planID: sub.PlanID, dimensions: dims}
	a.mu.Unlock()
	return nil
}

// meterDue reports, for each metered subscription and dimension, the
// usage of the last whole hour, once: Microsoft takes one event per
// resource, dimension and hour, and refuses one whose start is in the
// future (docs/microsoft.md §7).
func (a *app) meterDue(ctx context.Context) {
	hour := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	a.mu.Lock()
	var due []string
	for id, m := range a.metered {
		if m.last.Before(hour) {
			due = append(due, id)
		}
	}
	a.mu.Unlock()
	for _, id := range due {
		a.mu.Lock()
		m := a.metered[id]
		a.mu.Unlock()
		for _, d := range m.dimensions {
			e := usageEvent{ResourceID: id, Quantity: 1, Dimension: d, EffectiveStartTime: hour, PlanID: m.planID}
			err := a.api.meter(ctx, e)
			if a.opts.Habits.DoubleMeter {
				err = a.api.meter(ctx, e)
			}
			if err != nil {
				a.printf("usage %s %s at %s: %v", id, d, hour.Format(time.RFC3339), err)
				continue
			}
			a.printf("usage %s %s at %s: reported", id, d, hour.Format(time.RFC3339))
		}
		m.last = hour
		a.mu.Lock()
		a.metered[id] = m
		a.mu.Unlock()
	}
}
