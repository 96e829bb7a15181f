package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
)

// maxScriptBytes bounds a posted script; a real one is a few hundred bytes.
const maxScriptBytes = 64 << 10

// listScripts is GET /_sandbox/gitlab/scripts: the scripts in force, the
// configuration file's first, in the order they were added.
func (p *Portal) listScripts(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Scripts []script.Script `json:"scripts"`
	}{p.scripts.List()})
	return nil
}

// addScript is POST /_sandbox/gitlab/scripts: 201 with the stored script
// (and its generated id), 422 listing every bad or unknown field, 409 for
// an id in use.
func (p *Portal) addScript(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, maxScriptBytes)
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		var probe any
		return newError(CodeBadRequest, "The script is not valid JSON: "+jsonProblem(json.Unmarshal(body, &probe))+".")
	}
	sc, problems := script.Decode(body, p.knownPartner)
	if len(problems) > 0 {
		e := newError(CodeValidationFailed, fmt.Sprintf("The script is invalid: %d problem(s) found.", len(problems)))
		e.Fields = problems
		return e
	}
	stored, err := p.scripts.Add(sc)
	if errors.Is(err, script.ErrExists) {
		return newError(CodeConflict, "A script with id "+quote(sc.ID)+" exists; delete it first or choose another id.")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, stored)
	return nil
}

// getScript is GET /_sandbox/gitlab/scripts/{id}.
func (p *Portal) getScript(w http.ResponseWriter, r *http.Request) error {
	id := pathVar(r, "id")
	sc, err := p.scripts.Get(id)
	if err != nil {
		return errNoScript(id)
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

// deleteScript is DELETE /_sandbox/gitlab/scripts/{id}; it answers with
// the script it removed. Steps already taken stay as they happened.
func (p *Portal) deleteScript(w http.ResponseWriter, r *http.Request) error {
	id := pathVar(r, "id")
	sc, err := p.scripts.Remove(id)
	if err != nil {
		return errNoScript(id)
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func errNoScript(id string) error {
	return newError(CodeNotFound, "No script with id "+quote(id)+" exists.")
}

// clearScripts is DELETE /_sandbox/gitlab/scripts: every script goes, the
// configuration file's too (a reset brings those back).
func (p *Portal) clearScripts(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Deleted int `json:"deleted"`
	}{p.scripts.Clear()})
	return nil
}

// heldView is a held notification with the order it belongs to.
type heldView struct {
	zuora.Held
	ExternalSubscriptionID string `json:"externalSubscriptionId,omitempty"`
	Partner                string `json:"partner,omitempty"`
}

func (p *Portal) viewHeld(h zuora.Held) heldView {
	v := heldView{Held: h}
	if key, ok := p.subscriptions.KeyOf(h.SubscriptionNumber); ok {
		v.ExternalSubscriptionID, v.Partner = key.ExternalID, key.Partner
	}
	return v
}

// listPendingCallouts is GET /_sandbox/gitlab/callouts/pending: the
// notifications Zuora holds (manual mode or script, or reordering).
func (p *Portal) listPendingCallouts(w http.ResponseWriter, r *http.Request) error {
	q, err := filters(r, "subscriptionNumber", "externalSubscriptionId", "partner")
	if err != nil {
		return err
	}
	out := []heldView{}
	for _, h := range p.callouts.Pending() {
		v := p.viewHeld(h)
		if matches(q, "subscriptionNumber", v.SubscriptionNumber) && matches(q, "externalSubscriptionId", v.ExternalSubscriptionID) &&
			matches(q, "partner", v.Partner) {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Pending []heldView `json:"pending"`
	}{out})
	return nil
}

// matches says whether value passes the filter name of q (an absent
// or empty filter passes everything).
func matches(q url.Values, name, value string) bool {
	want, set := q[name]
	return !set || want[0] == "" || want[0] == value
}

// fireCallout is POST /_sandbox/gitlab/callouts/{notificationId}/fire: the
// held notification goes out now, through the normal delivery (challenge,
// retries, copies). The clock fires what is due at once, so the answer
// comes after the delivery and whatever it set off without delay; it
// lists the delivery attempts made so far.
func (p *Portal) fireCallout(w http.ResponseWriter, r *http.Request) error {
	id := pathVar(r, "notificationId")
	h, err := p.callouts.Fire(id)
	if err != nil {
		return errNotHeld(id)
	}
	p.clock.Advance(context.WithoutCancel(r.Context()), 0)
	deliveries := []zuora.Delivery{}
	for _, d := range p.callouts.Deliveries() {
		if d.NotificationID == id && d.Outcome != zuora.OutcomeHeld {
			deliveries = append(deliveries, d)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Fired      heldView         `json:"fired"`
		Deliveries []zuora.Delivery `json:"deliveries"`
	}{p.viewHeld(h), deliveries})
	return nil
}

// dropCallout is POST /_sandbox/gitlab/callouts/{notificationId}/drop:
// Zuora will never send the held notification.
func (p *Portal) dropCallout(w http.ResponseWriter, r *http.Request) error {
	id := pathVar(r, "notificationId")
	h, err := p.callouts.Drop(id, "dropped through the control API")
	if err != nil {
		return errNotHeld(id)
	}
	writeJSON(w, http.StatusOK, struct {
		Dropped heldView `json:"dropped"`
	}{p.viewHeld(h)})
	return nil
}

func errNotHeld(id string) error {
	return newError(CodeNotFound, "No held callout with notification id "+quote(id)+": it is unknown, already sent or dropped.")
}
