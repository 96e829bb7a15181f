package emulatorfake

import (
	"net/http"
	"sort"

	"github.com/gorilla/mux"
)

// This file holds the operation routes of src/operations-api-impl.ts.

// listOperations is operationsApi: a bare array of the InProgress
// operations, not {"operations":[...]}.
func (e *Emulator) listOperations(r *http.Request) *reply {
	sid := mux.Vars(r)["subscriptionId"]
	rep := notFoundSubscription(sid)
	e.state.do(func(d *data) {
		rec := d.find(publisherOf(r), sid)
		if rec == nil {
			return
		}
		ops := []Operation{}
		for _, o := range rec.ops {
			if o.Status == InProgress {
				ops = append(ops, *o)
			}
		}
		rep = jsonAnswer(http.StatusOK, ops)
	})
	return rep
}

func (e *Emulator) getOperation(r *http.Request) *reply {
	v := mux.Vars(r)
	sid, opID := v["subscriptionId"], v["operationId"]
	rep := notFoundSubscription(sid)
	e.state.do(func(d *data) {
		rec := d.find(publisherOf(r), sid)
		if rec == nil {
			return
		}
		if o := rec.operation(opID); o != nil {
			rep = jsonAnswer(http.StatusOK, *o)
			return
		}
		rep = jsonAnswer(http.StatusNotFound, map[string]any{
			"message": "Failed to get operation", "target": opID, "code": "EntityNotFound"})
	})
	return rep
}

// patchDuringWebhook is the errorMessage the emulator leaves on an
// operation PATCHed while its webhook POST had not yet returned.
const patchDuringWebhook = "Emulator warning - Detected attempt to patch operation before the request returned."

// updateOperation is updateOperationApi, its checks in the emulator's
// order. A Success or Failure settles the operation after
// operationTimeoutMS; the answer is 200 OK at once.
func (e *Emulator) updateOperation(r *http.Request) *reply {
	body, _, bad := readJSONBody(r)
	if bad != nil {
		return bad
	}
	status, _ := body["status"].(string)
	if status != "Success" && status != "Failure" {
		return errorResponse(http.StatusBadRequest, "InvalidValue", "Status must be Success or Failure", "status")
	}
	pid := publisherOf(r)
	v := mux.Vars(r)
	sid, opID := v["subscriptionId"], v["operationId"]
	var rep *reply
	e.state.do(func(d *data) {
		rec := d.find(pid, sid)
		var op *Operation
		if rec != nil {
			op = rec.operation(opID)
		}
		switch {
		case op == nil:
			rep = errorResponse(http.StatusNotFound, "NotFound", "Failed to find operation", "operation")
		case op.OperationRequestedSource == "Partner":
			rep = statusAnswer(http.StatusInternalServerError)
		case op.Action == "Renew" || op.Action == "Suspend" || op.Action == "Unsubscribe":
			rep = errorResponse(http.StatusBadRequest, "Error", "Operation "+op.Action+" cannot be patched", "operation")
		case op.Status != InProgress:
			body := map[string]any{}
			if id := r.Header.Get("x-ms-requestid"); id != "" {
				body["message"] = id
			}
			rep = jsonAnswer(http.StatusConflict, body)
		default:
			if d.inFlight[op.ID] {
				op.ErrorMessage = patchDuringWebhook
			}
		}
	})
	if rep != nil {
		return rep
	}
	outcome := Succeeded
	if status == "Failure" {
		outcome = Failed
	}
	e.after(e.state.delay("operationTimeoutMS"), func() { e.settle(pid, sid, opID, outcome) })
	return statusAnswer(http.StatusOK)
}

// settle gives an operation its final status; a Succeeded one then
// changes the subscription after subscriptionUpdateDelayMS.
func (e *Emulator) settle(pid, sid, opID, status string) {
	var done *Operation
	e.state.do(func(d *data) {
		rec := d.find(pid, sid)
		if rec == nil {
			return
		}
		if op := rec.operation(opID); op != nil {
			op.Status = status
			c := *op
			done = &c
		}
	})
	if done != nil && status == Succeeded {
		e.queueUpdate(*done)
	}
}

// acceptIfInProgress is the auto-accept after a 2xx webhook answer: an
// operation nobody PATCHed within webhookCallPatchDelayMS succeeds.
func (e *Emulator) acceptIfInProgress(pid, sid, opID string) {
	var done *Operation
	e.state.do(func(d *data) {
		if rec := d.find(pid, sid); rec != nil {
			if op := rec.operation(opID); op != nil && op.Status == InProgress {
				op.Status = Succeeded
				c := *op
				done = &c
			}
		}
	})
	if done != nil {
		e.queueUpdate(*done)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// truthy is JavaScript truthiness of a JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	default:
		return true
	}
}

// jsNumber is Number(v) for the values a quantity can take.
func jsNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		return parseFloatLoose(x)
	}
	return 0, false
}
