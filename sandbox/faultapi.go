package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
)

// maxRuleBytes bounds a control request that carries a rule or a seed.
const maxRuleBytes = 64 << 10

// faultsView is the body of GET /_sandbox/faults.
type faultsView struct {
	Seed  uint64       `json:"seed"`
	Rules []fault.View `json:"rules"`
}

func (s *Sandbox) faultsState() faultsView {
	return faultsView{Seed: s.faults.Seed(), Rules: s.faults.List()}
}

// listFaults is GET /_sandbox/faults: the seed and every rule in the order
// they are tried, with their counters.
func (s *Sandbox) listFaults(*http.Request) (any, error) { return s.faultsState(), nil }

// addFault is POST /_sandbox/faults with one rule: 201 with the stored
// rule, 422 listing every problem, 409 for an id in use.
func (s *Sandbox) addFault(r *http.Request) (any, error) {
	body, err := readControlBody(r)
	if err != nil {
		return nil, err
	}
	rule, err := fault.DecodeRule(body)
	if err != nil {
		return nil, badRequest("The rule could not be read: %v.", err)
	}
	v, err := s.faults.Add(rule)
	var invalid *fault.InvalidError
	switch {
	case errors.As(err, &invalid):
		return nil, &controlError{status: http.StatusUnprocessableEntity, code: "validation_failed",
			description: "The rule is not valid.", fields: invalid.Problems}
	case errors.Is(err, fault.ErrDuplicate):
		return nil, &controlError{status: http.StatusConflict, code: "duplicate_rule",
			description: "A rule with id " + rule.ID + " already exists; delete it first or choose another id."}
	case err != nil:
		return nil, err
	}
	return answer{status: http.StatusCreated, body: v}, nil
}

// readControlBody reads a small JSON body; an empty one is a 400.
func readControlBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRuleBytes+1))
	switch {
	case err != nil:
		return nil, badRequest("The request body could not be read.")
	case len(body) > maxRuleBytes:
		return nil, badRequest("The request body is larger than %d bytes.", maxRuleBytes)
	case strings.TrimSpace(string(body)) == "":
		return nil, badRequest("The request needs a JSON body.")
	}
	return body, nil
}

// getFault is GET /_sandbox/faults/{id}.
func (s *Sandbox) getFault(r *http.Request) (any, error) {
	id := mux.Vars(r)["id"]
	v, ok := s.faults.Get(id)
	if !ok {
		return nil, notFound("No fault rule %q.", id)
	}
	return v, nil
}

// deleteFault is DELETE /_sandbox/faults/{id}.
func (s *Sandbox) deleteFault(r *http.Request) (any, error) {
	id := mux.Vars(r)["id"]
	if !s.faults.Delete(id) {
		return nil, notFound("No fault rule %q.", id)
	}
	return answer{status: http.StatusNoContent}, nil
}

// deleteFaults is DELETE /_sandbox/faults: every rule goes, the config
// file's too, until the next reset.
func (s *Sandbox) deleteFaults(*http.Request) (any, error) {
	s.faults.DeleteAll()
	return answer{status: http.StatusNoContent}, nil
}

// seedFaults is POST /_sandbox/faults/seed {"seed": 7}: a new seed (0
// picks one), with every rule's random source and counters restarted.
func (s *Sandbox) seedFaults(r *http.Request) (any, error) {
	body, err := readControlBody(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Seed *uint64 `json:"seed"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Seed == nil {
		return nil, badRequest(`Send {"seed": n} with n a whole number from 0 (pick one) to 18446744073709551615.`)
	}
	s.faults.SetSeed(*req.Seed)
	return s.faultsState(), nil
}
