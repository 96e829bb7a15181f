package fakeportal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"time"
)

func (p *Portal) create(w http.ResponseWriter, r *http.Request) {
	partner, ok := p.createAuth(w, r)
	if !ok {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		p.fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send application/json.", nil)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if len(raw) > 1<<20 {
		p.fail(w, http.StatusRequestEntityTooLarge, "payload_too_large", "Body too large.", nil)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		p.fail(w, http.StatusBadRequest, "bad_request", "Malformed JSON.", nil)
		return
	}
	if fields := p.validate(partner, body); len(fields) > 0 {
		status := http.StatusUnprocessableEntity
		if p.has(ValidationIs400) {
			status = http.StatusBadRequest
		}
		p.fail(w, status, "validation_failed", "The order is invalid.", fields)
		return
	}
	p.store(w, partner, body)
}

func (p *Portal) createAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	if p.has(AuthHole) && bearer(r) == "" {
		return p.partners[0].ClientID, true
	}
	scope := scopeCreate
	if p.has(ReadOnlyCanCreate) {
		scope = ""
	}
	return p.authorize(w, r, scope)
}

func (p *Portal) key(partner, id string) string {
	if p.has(GlobalExternalIDs) {
		return id
	}
	return partner + "\x00" + id
}

func (p *Portal) store(w http.ResponseWriter, partner string, body map[string]any) {
	id, _ := body["externalSubscriptionId"].(string)
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.subs[p.key(partner, id)]; ok {
		same := reflect.DeepEqual(prev.body, body)
		switch {
		case same && !p.has(ReplayIsConflict):
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(prev.answer)
			return
		case !same && p.has(DifferentBodyOverwrite):
		default:
			p.fail(w, http.StatusConflict, "duplicate_subscription", "Already exists.", nil)
			return
		}
	}
	p.serial++
	sub := &subscription{partner: partner, body: body, number: fmt.Sprintf("A-S%08d", p.serial), createdAt: p.now}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(p.view(id, sub))
	sub.answer = buf.Bytes()
	p.subs[p.key(partner, id)] = sub
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(sub.answer)
}

// view renders a subscription at the current time: Created at once,
// Provisioned 2 s later (the callout), with the defects' distortions.
// Callers hold mu.
func (p *Portal) view(id string, s *subscription) map[string]any {
	age := p.now.Sub(s.createdAt)
	status := "Created"
	switch {
	case p.has(NeverProvisions):
	case p.has(StatusRegresses) && age >= time.Hour:
	case age >= 2*time.Second && p.has(UnknownStatus):
		status = "Active"
	case age >= 2*time.Second:
		status = "Provisioned"
	}
	out := map[string]any{"externalSubscriptionId": id, "status": status,
		"createdAt": s.createdAt.Format(time.RFC3339), "updatedAt": s.createdAt.Add(min(age, 2*time.Second)).Format(time.RFC3339)}
	if !p.has(NoSubscriptionNumber) {
		out["subscriptionNumber"] = s.number
	}
	return out
}

func (p *Portal) read(w http.ResponseWriter, r *http.Request) {
	partner, ok := p.authorize(w, r, "")
	if !ok {
		return
	}
	id := r.PathValue("id")
	p.mu.Lock()
	sub, found := p.subs[p.key(partner, id)]
	if !found && p.has(LeakBetweenPartners) {
		for _, pt := range p.partners {
			if s, ok := p.subs[p.key(pt.ClientID, id)]; ok {
				sub, found = s, true
			}
		}
	}
	var view map[string]any
	if found {
		view = p.view(id, sub)
	}
	otherPartner := !found && p.existsForOther(id)
	p.mu.Unlock()
	switch {
	case found:
		writeJSON(w, http.StatusOK, view)
	case otherPartner && p.has(OtherPartnerIs403):
		p.fail(w, http.StatusForbidden, "forbidden", "Not yours.", nil)
	case p.has(UnknownIDIs200):
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		p.fail(w, http.StatusNotFound, "not_found", "Subscription not found.", nil)
	}
}

// existsForOther reports whether another partner uses id. Callers hold mu.
func (p *Portal) existsForOther(id string) bool {
	for _, pt := range p.partners {
		if _, ok := p.subs[p.key(pt.ClientID, id)]; ok {
			return true
		}
	}
	return false
}
