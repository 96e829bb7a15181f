package sandbox

import (
	"errors"
	"net/http"
	"net/url"
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
func (s *Sandbox) listFaults(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	return s.faultsState(), nil
}

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

// readControlBody reads a small JSON body that must be there, with no
// query parameter beside it; an empty one is a 400.
func readControlBody(r *http.Request) ([]byte, error) {
	if len(r.URL.Query()) > 0 || r.URL.RawQuery != "" {
		return nil, badRequest("%s %s takes a JSON body and no query parameters.", r.Method, r.URL.Path)
	}
	body, err := readOptionalJSON(r)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, badRequest("The request needs a JSON body.")
	}
	return body, nil
}

// getFault is GET /_sandbox/faults/{id}.
func (s *Sandbox) getFault(r *http.Request) (any, error) {
	id, err := faultID(r)
	if err != nil {
		return nil, err
	}
	v, ok := s.faults.Get(id)
	if !ok {
		return nil, notFound("No fault rule %q.", id)
	}
	return v, nil
}

// deleteFault is DELETE /_sandbox/faults/{id}.
func (s *Sandbox) deleteFault(r *http.Request) (any, error) {
	id, err := faultID(r)
	if err != nil {
		return nil, err
	}
	if !s.faults.Delete(id) {
		return nil, notFound("No fault rule %q.", id)
	}
	return answer{status: http.StatusNoContent}, nil
}

// deleteFaults is DELETE /_sandbox/faults: every rule goes, the config
// file's too, until the next reset.
func (s *Sandbox) deleteFaults(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
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
	if err := decodeStrict(body, &req); err != nil || req.Seed == nil {
		return nil, badRequest(`Send {"seed": n} with n a whole number from 0 (pick one) to 18446744073709551615.`)
	}
	s.faults.SetSeed(*req.Seed)
	return s.faultsState(), nil
}

// faultID is the {id} of a fault route, exactly as given (path-unescaped,
// never trimmed or case-folded) and refused when it could never be a
// rule's id, so that a typo reads as one.
func faultID(r *http.Request) (string, error) {
	if err := noInput(r); err != nil {
		return "", err
	}
	raw := mux.Vars(r)["id"]
	id, err := url.PathUnescape(raw)
	if err != nil || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return "", badRequest("%q is not a fault rule id: ids are 1 to 64 letters, digits, '-', '_' or '.'.", truncate(raw))
	}
	return id, nil
}

// truncate shortens a client's text for an error message.
func truncate(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
