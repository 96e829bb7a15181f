// Package salesforce is the fake Salesforce behind the fake Customers
// Portal. The portal records an end-customer Account, an Opportunity and a
// Quote against the partner's Distributor and Trading Partner accounts
// (docs/gitlab.md §7); the fake only has to show which objects it "created".
package salesforce

import (
	"fmt"
	"sync"
)

// Object is one Salesforce record.
type Object struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Salesforce hands out record ids.
type Salesforce struct {
	// mu guards seq.
	mu  sync.Mutex
	seq int
}

// New returns an empty Salesforce.
func New() *Salesforce { return &Salesforce{} }

// key prefixes Salesforce uses for these standard objects.
var prefixes = []struct{ objectType, prefix string }{
	{"Account", "001"},
	{"Opportunity", "006"},
	{"Quote", "0Q0"},
}

// CreateOrderObjects creates the objects for one order.
func (s *Salesforce) CreateOrderObjects() []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Object, 0, len(prefixes))
	for _, p := range prefixes {
		s.seq++
		out = append(out, Object{Type: p.objectType, ID: ID18(fmt.Sprintf("%s5g%010d", p.prefix, s.seq))})
	}
	return out
}

// Reset restarts the numbering.
func (s *Salesforce) Reset() {
	s.mu.Lock()
	s.seq = 0
	s.mu.Unlock()
}

// ID18 turns a case-sensitive 15-character Salesforce id into the
// 18-character case-insensitive form: each 5-character chunk contributes one
// suffix character whose bits say which of its characters are upper case.
func ID18(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 0, 3)
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix = append(suffix, alphabet[bits])
	}
	return id15 + string(suffix)
}
