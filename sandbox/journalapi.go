package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// listJournal is GET /_sandbox/journal with the filters of
// journal.ParseQuery: the newest matching entries, oldest first.
func (s *Sandbox) listJournal(r *http.Request) (any, error) {
	q, err := journal.ParseQuery(r.URL.Query())
	if err != nil {
		return nil, badRequest("%v.", err)
	}
	if q.API != "" && !slices.Contains(s.journalAPIs(), q.API) {
		return nil, badRequest("api: %q is not one of %s.", q.API, strings.Join(s.journalAPIs(), ", "))
	}
	return s.journal.Find(q), nil
}

// journalAPIs are the names entries are filed under: each marketplace
// served, the control API's and the one for paths no marketplace owns.
func (s *Sandbox) journalAPIs() []string {
	names := make([]string, 0, len(s.markets)+2)
	for _, m := range s.markets {
		names = append(names, m.Name())
	}
	return append(names, journal.ControlAPI, apiUnowned)
}

// getJournalEntry is GET /_sandbox/journal/{id}.
func (s *Sandbox) getJournalEntry(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	text := mux.Vars(r)["id"]
	id, err := strconv.ParseUint(text, 10, 64)
	if err != nil || strconv.FormatUint(id, 10) != text {
		return nil, badRequest("Journal ids are whole numbers written without sign or leading zeros; %q is not one.", truncate(text))
	}
	e, ok := s.journal.Get(id)
	if !ok {
		return nil, notFound("No journal entry %d (it may have been dropped to stay within the bounds, or cleared).", id)
	}
	return e, nil
}

// clearJournal is DELETE /_sandbox/journal.
func (s *Sandbox) clearJournal(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	s.journal.Clear()
	return answer{status: http.StatusNoContent}, nil
}
