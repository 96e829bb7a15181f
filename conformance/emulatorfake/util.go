package emulatorfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// This file holds the control routes of src/utility-apis.ts (version
// 180dc979): no api-version, publisher or auth check applies to them.

func (e *Emulator) sampleSubscription(*http.Request) *reply {
	return jsonAnswer(http.StatusOK, newSubscription(map[string]any{"id": newUUID()}, e.state.publisherID(), time.Now()))
}

func (e *Emulator) sampleOffer(*http.Request) *reply {
	return jsonAnswer(http.StatusOK, Offer{"offerId": "", "displayName": "", "publisher": "",
		"persist": true, "builtIn": false, "plans": map[string]any{}})
}

func (e *Emulator) listOffers(*http.Request) *reply {
	var offers map[string]Offer
	e.state.do(func(d *data) { offers = cloneJSON(d.offers) })
	return jsonAnswer(http.StatusOK, offers)
}

// getOffer answers an unknown offer with 200 and an empty body.
func (e *Emulator) getOffer(r *http.Request) *reply {
	rep := emptyAnswer(http.StatusOK)
	e.state.do(func(d *data) {
		if o, ok := d.offers[mux.Vars(r)["offerId"]]; ok {
			rep = jsonAnswer(http.StatusOK, cloneJSON(o))
		}
	})
	return rep
}

// upsertOffer stores a Partial<Offer> over upsertOfferAsync's defaults
// (persist true, plans {}). A subscription of the offer whose plan is
// missing from the new plans gives 404. Without plans while the offer has
// subscriptions the emulator throws in an async handler, which by the
// research's analysis ends the Node process; the fake drops the
// connection instead.
func (e *Emulator) upsertOffer(r *http.Request) *reply {
	body, _, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	id := "undefined" // the key JavaScript makes of a missing offerId
	if s, ok := body["offerId"].(string); ok {
		id = s
	}
	var rep *reply
	e.state.do(func(d *data) {
		plans, hasPlans := body["plans"].(map[string]any)
		for _, p := range d.publishers {
			for _, rec := range p.subs {
				if rec.sub["offerId"] != id {
					continue
				}
				if !hasPlans {
					rep = &reply{kind: crashReply}
					return
				}
				if name, _ := rec.sub["planId"].(string); plans[name] == nil {
					rep = statusAnswer(http.StatusNotFound)
					return
				}
			}
		}
		offer := Offer{"persist": true, "plans": map[string]any{}}
		for k, v := range body {
			offer[k] = v
		}
		d.offers[id] = offer
		rep = jsonAnswer(http.StatusOK, cloneJSON(offer))
	})
	return rep
}

// deleteOffer is 204, or 400 for an unknown offer or one in use.
func (e *Emulator) deleteOffer(r *http.Request) *reply {
	id := mux.Vars(r)["offerId"]
	rep := statusAnswer(http.StatusBadRequest)
	e.state.do(func(d *data) {
		if _, ok := d.offers[id]; !ok {
			return
		}
		for _, p := range d.publishers {
			for _, rec := range p.subs {
				if rec.sub["offerId"] == id {
					return
				}
			}
		}
		delete(d.offers, id)
		rep = emptyAnswer(http.StatusNoContent)
	})
	return rep
}

// listPublishers is the whole state: {pid: {sid: {subscription,
// operations: {opId: Operation}}}}, settled operations included.
func (e *Emulator) listPublishers(*http.Request) *reply {
	all := map[string]any{}
	e.state.do(func(d *data) {
		for pid, p := range d.publishers {
			subs := map[string]any{}
			for sid, rec := range p.subs {
				ops := map[string]Operation{}
				for _, o := range rec.ops {
					ops[o.ID] = *o
				}
				subs[sid] = map[string]any{"subscription": cloneJSON(rec.sub), "operations": ops}
			}
			all[pid] = subs
		}
	})
	return jsonAnswer(http.StatusOK, all)
}

// getStoredSubscription answers a missing one with 200 and an empty body.
func (e *Emulator) getStoredSubscription(r *http.Request) *reply {
	v := mux.Vars(r)
	rep := emptyAnswer(http.StatusOK)
	e.state.do(func(d *data) {
		if rec := d.find(v["publisherId"], v["subscriptionId"]); rec != nil {
			rep = jsonAnswer(http.StatusOK, cloneJSON(rec.sub))
		}
	})
	return rep
}

// deleteStoredSubscription removes a subscription without an operation:
// 204, even for an unknown subscription; 404 only for an unknown publisher.
func (e *Emulator) deleteStoredSubscription(r *http.Request) *reply {
	v := mux.Vars(r)
	rep := statusAnswer(http.StatusNotFound)
	e.state.do(func(d *data) {
		if d.publishers[v["publisherId"]] != nil {
			d.remove(v["publisherId"], v["subscriptionId"])
			rep = emptyAnswer(http.StatusNoContent)
		}
	})
	return rep
}

// getConfig is the configuration without webhook.clientSecret and
// without internal, as newer versions answer.
func (e *Emulator) getConfig(*http.Request) *reply {
	var config map[string]any
	e.state.do(func(d *data) { config = cloneJSON(d.config) })
	if hook, ok := config["webhook"].(map[string]any); ok {
		delete(hook, "clientSecret")
	}
	delete(config, "internal")
	return jsonAnswer(http.StatusOK, config)
}

// patchConfig sets, in the body's order, each top-level key the config
// already has. A URL not starting with "http" stops it with a 400, the
// keys before it already applied. requireAuth is true only for JSON true.
func (e *Emulator) patchConfig(r *http.Request) *reply {
	_, raw, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	keys, values := orderedFields(raw)
	rep := statusAnswer(http.StatusOK)
	e.state.do(func(d *data) {
		for i, k := range keys {
			if _, known := d.config[k]; !known {
				continue
			}
			v := values[i]
			if strings.HasSuffix(k, "Url") {
				if s, _ := v.(string); !strings.HasPrefix(s, "http") {
					rep = textAnswer(http.StatusBadRequest, "URLs must be a fully qualified.")
					return
				}
			}
			if k == "requireAuth" {
				v = v == true
			}
			d.config[k] = v
		}
	})
	return rep
}

// orderedFields reads a JSON object's members in the order sent.
func orderedFields(raw []byte) (keys []string, values []any) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys, values
		}
		var v any
		if dec.Decode(&v) != nil {
			return keys, values
		}
		keys, values = append(keys, t.(string)), append(values, v)
	}
	return keys, values
}

// resetData is DELETE /api/util/data-file: clearState then load. Offers
// added through the API are lost; the configuration and running timers
// survive.
func (e *Emulator) resetData(*http.Request) *reply {
	e.state.do(func(d *data) { d.reset() })
	return emptyAnswer(http.StatusNoContent)
}
