package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/script"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/zuora"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// maxScriptBytes bounds a posted script; a real one is a few hundred bytes.
const maxScriptBytes = 64 << 10

// maxFiredPerFire bounds the jobs one fire request runs on the clock.
const maxFiredPerFire = 1000

// controlID is a path id of a control route, path-unescaped and otherwise
// exactly as given: one that could never name a script or notification
// (over 128 characters, or outside letters, digits, '.', '_', '~', '-') is
// a 400 rather than a 404, so that a mangled id reads as one.
func controlID(r *http.Request, name, what string) (string, error) {
	if err := noInput(r); err != nil {
		return "", err
	}
	id := pathVar(r, name)
	if !notificationIDPattern.MatchString(id) {
		return "", newError(CodeInvalidRequest, fmt.Sprintf("%s is not a %s id: ids are 1 to 128 letters, digits, '.', '_', '~' or '-'.", quote(id), what))
	}
	return id, nil
}

// listScripts is GET /_sandbox/gitlab/scripts: the scripts in force, the
// configuration file's first, in the order they were added.
func (p *Portal) listScripts(w http.ResponseWriter, r *http.Request) error {
	_, pg, err := filters(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listing.Of(r, "scripts", p.scripts.List(), pg))
	return nil
}

// addScript is POST /_sandbox/gitlab/scripts: 201 with the stored script
// (and its generated id), 422 listing every bad or unknown field, 409 for
// an id in use.
func (p *Portal) addScript(w http.ResponseWriter, r *http.Request) error {
	if r.URL.RawQuery != "" {
		return newError(CodeInvalidRequest, "POST /_sandbox/gitlab/scripts takes a JSON body and no query parameters.")
	}
	if err := jsonContentType(r); err != nil {
		return err
	}
	body, err := readBody(r, maxScriptBytes)
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		var probe any
		return newError(CodeBadRequest, "The script is not valid JSON: "+jsonProblem(json.Unmarshal(body, &probe))+".")
	}
	if err := strictjson.Check(body); err != nil {
		return newError(CodeBadRequest, "The script is not usable JSON: "+err.Error()+".")
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
	id, err := controlID(r, "id", "script")
	if err != nil {
		return err
	}
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
	id, err := controlID(r, "id", "script")
	if err != nil {
		return err
	}
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
func (p *Portal) clearScripts(w http.ResponseWriter, r *http.Request) error {
	if err := noInput(r); err != nil {
		return err
	}
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
	q, pg, err := filters(r, "subscriptionNumber", "externalSubscriptionId", "partner")
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
	writeJSON(w, http.StatusOK, listing.Of(r, "pending", out, pg))
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
	id, err := controlID(r, "notificationId", "notification")
	if err != nil {
		return err
	}
	// The first attempt is due now; firing it (and what it sets off
	// without delay) works on the request's context, so a client that
	// leaves or a reset stops it, bounded like an advance. AdvanceAfter
	// keeps the clock's Run loop from taking the delivery, whose HTTP
	// request runs outside the clock's lock, so the answer waits for it.
	var h zuora.Held
	_, err = p.clock.AdvanceAfter(r.Context(), func() (err error) { h, err = p.callouts.Fire(id); return err }, 0, maxFiredPerFire)
	if err != nil {
		return errNotHeld(id)
	}
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
	id, err := controlID(r, "notificationId", "notification")
	if err != nil {
		return err
	}
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
