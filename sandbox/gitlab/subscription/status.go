// Package subscription is the portal's record of marketplace orders: the
// order a partner placed, the status it has reached, and the timeline of
// everything that happened to it, kept in a store that owns its lock.
package subscription

import "fmt"

// Status is one of the four statuses GitLab's Marketplace partners page
// documents. Their meaning and the graph between them are the sandbox's
// reading of the purchase flow (docs/gitlab.md §5).
type Status string

const (
	// Creating means the order was accepted and Zuora / Salesforce calls are in flight.
	Creating Status = "Creating"
	// Created means the Zuora subscription and the Salesforce objects exist.
	Created Status = "Created"
	// Provisioned means the Zuora callout was processed, the license built and the notification sent.
	Provisioned Status = "Provisioned"
	// Failed means Zuora or Salesforce refused the order, or provisioning failed.
	Failed Status = "Failed"
)

// edges is the whole transition graph; no other move exists and a status
// never goes back.
var edges = map[Status][]Status{
	Creating: {Created, Failed},
	Created:  {Provisioned, Failed},
}

// Final reports whether no transition leaves s.
func (s Status) Final() bool { return s == Provisioned || s == Failed }

// CanBecome reports whether the graph has an edge from s to next.
func (s Status) CanBecome(next Status) bool {
	for _, to := range edges[s] {
		if to == next {
			return true
		}
	}
	return false
}

// ErrTransition is returned for a move the graph does not have.
type ErrTransition struct {
	From, To Status
}

func (e ErrTransition) Error() string {
	return fmt.Sprintf("no transition from %s to %s", e.From, e.To)
}
