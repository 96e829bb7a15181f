package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// needsACK are the actions whose InProgress operation waits for this
// app's answer: Success or Failure within 10 s, else Microsoft accepts
// (docs/microsoft.md §6; Reinstate per the older pages).
var needsACK = map[string]bool{"ChangePlan": true, "ChangeQuantity": true, "Reinstate": true}

// webhook receives Microsoft's notifications. A delivery whose JWT does
// not verify is answered 401 (not Microsoft's) or 403 (not for this app)
// and otherwise ignored. A good one is answered 200 at once and handled
// in the background, once per operation id: Microsoft retries and may
// deliver twice.
func (a *app) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if !a.opts.Habits.NoJWTCheck {
		if err := a.verifier.verify(r.Context(), r.Header.Get("Authorization")); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, errForbidden) {
				status = http.StatusForbidden
			}
			a.printf("webhook refused (%d): %v", status, err)
			http.Error(w, http.StatusText(status), status)
			return
		}
	}
	var op operation
	if err := json.Unmarshal(body, &op); err != nil || op.ID == "" || op.SubscriptionID == "" {
		http.Error(w, "not a webhook payload", http.StatusBadRequest)
		return
	}
	if !a.claim(op.ID) {
		a.printf("webhook %s for operation %s again: already handled", op.Action, op.ID)
		w.WriteHeader(http.StatusOK)
		return
	}
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		defer a.release()
		a.handle(a.ctx, op)
	}()
	w.WriteHeader(http.StatusOK)
}

// claim records op as being handled; false when it was before (and the
// app dedupes).
func (a *app) claim(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[id] && !a.opts.Habits.NoDedupe {
		return false
	}
	a.seen[id] = true
	a.pending++
	return true
}

func (a *app) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending--
}

// handle acts on a webhook: it reads the operation first (the payload
// may be stale or forged; the operation is the truth), then
// acknowledges a change that waits for it.
func (a *app) handle(ctx context.Context, hook operation) {
	op := hook
	if !a.opts.Habits.NoGetOperation {
		got, err := a.api.getOperation(ctx, hook.SubscriptionID, hook.ID)
		if err != nil {
			a.printf("webhook %s: get operation %s: %v", hook.Action, hook.ID, err)
			return
		}
		op = got
	}
	// The operation's status is the other half of deduplication: one
	// already settled was handled before. The naive NoDedupe treats every
	// delivery as new, so it skips this too.
	settled := op.Status != "InProgress" && op.Status != "NotStarted" && !a.opts.Habits.NoDedupe
	if !needsACK[op.Action] || settled {
		a.printf("webhook %s for %s: %s, nothing to acknowledge", op.Action, op.SubscriptionID, op.Status)
		return
	}
	if a.opts.Habits.SlowAck {
		t := time.NewTimer(slowAck)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	if err := a.api.ack(ctx, op.SubscriptionID, op.ID); err != nil {
		a.printf("webhook %s: acknowledging %s: %v", op.Action, op.ID, err)
		return
	}
	a.printf("webhook %s for %s acknowledged (plan %s, quantity %d)", op.Action, op.SubscriptionID, op.PlanID, op.Quantity)
}
