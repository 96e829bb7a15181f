package engine

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// The control adapter for Microsoft's own emulator
// (microsoft/Commercial-Marketplace-SaaS-API-Emulator), chosen with
// `control: emulator` (docs/conformance-emulator.md). The emulator has no
// purchase route, no token service and no clock: a purchase is a purchase
// token the adapter makes (base64 of the subscription's JSON, as the
// emulator's own page makes it) and resolves at once, so that the
// subscription exists as it does after a purchase in the marketplace;
// marketplace events go to its /api/webhook/subscription/{id} routes
// after the adapter checked the state allows them (in another state the
// emulator never answers); reset is DELETE /api/util/data-file; the
// webhook URL is its configuration's. Answers are shaped like our
// sandbox's, so one scenario reads both.

// emulatorOffer is the offer the adapter installs (POST /api/util/offers)
// before every scenario and after every reset; the catalogue the
// configuration names by default.
func emulatorOffer(fields map[string]string) map[string]any {
	plan := func(id, name string, perSeat bool, trial bool) map[string]any {
		p := map[string]any{"planId": id, "displayName": name, "isPricePerSeat": perSeat, "hasFreeTrials": trial,
			"isPrivate": false, "isStopSell": false, "market": "US",
			"description": name + " (installed by the conformance harness)",
			"planComponents": map[string]any{
				"recurrentBillingTerms": []any{map[string]any{"currency": "USD", "price": 10, "termUnit": "P1M", "termDescription": "monthly"}},
				"meteringDimensions":    []any{}}}
		if perSeat {
			p["minQuantity"], p["maxQuantity"] = 1, fields["perSeatMax"]
			if n, err := strconv.Atoi(fields["perSeatMax"]); err == nil {
				p["maxQuantity"] = n
			}
		}
		return p
	}
	plans := map[string]any{}
	for _, p := range []struct {
		field, name string
		perSeat     bool
		trial       bool
	}{{"perSeatPlan", "Per seat", true, false}, {"flatPlan", "Flat rate", false, false}, {"otherFlatPlan", "Another flat rate", false, false},
		{"trialPlan", "Free trial", false, true}, {"meteredPlan", "Metered", false, false}} {
		if id := fields[p.field]; id != "" {
			plans[id] = plan(id, p.name, p.perSeat, p.trial)
		}
	}
	return map[string]any{"offerId": fields["offerId"], "displayName": "Conformance offer", "publisher": "conformance", "persist": false, "plans": plans}
}

// emulatorPartition is the emulator's name for a publisher's data: the
// tid and appid claims of its token, joined.
func (s *state) emulatorPartition(name string) (string, error) {
	p, ok := s.publisher(orDefault(name, "publisher"))
	if !ok {
		return "", brokenf("the target has no Microsoft publisher %q", orDefault(name, "publisher"))
	}
	return p.TenantID + p.ClientID, nil
}

// mintToken makes the token the emulator reads its publisher from (it
// verifies nothing unless started with REQUIRE_AUTH, which needs
// Microsoft's own Entra): the claims a real Entra token of the publisher
// carries, signed with a key of this run.
func (s *state) mintToken(cred string) (string, error) {
	p, ok := s.publisher(cred)
	if !ok {
		return "", brokenf("the target has no Microsoft publisher %q", cred)
	}
	now := time.Now()
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"aud": marketplaceResource, "iss": "https://sts.windows.net/" + p.TenantID + "/", "tid": p.TenantID,
		"appid": p.ClientID, "oid": p.ClientID, "sub": p.ClientID, "idtyp": "app",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, s.runner.mintKey())
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// mintKey is the run's key for minted tokens.
func (r *Runner) mintKey() []byte {
	r.mintOnce.Do(func() {
		r.minted = make([]byte, 32)
		_, _ = rand.Read(r.minted)
	})
	return r.minted
}

// emulatorControlTimeout bounds every request of the adapter: the
// emulator leaves some requests unanswered forever.
const emulatorControlTimeout = 10 * time.Second

// emulatorControl performs a control action on the emulator.
func (s *state) emulatorControl(ctx context.Context, action string, with map[string]any, sr *StepResult, anyStatus bool) (*response, error) {
	a, ok := scenario.ControlActionsFor(scenario.APIMicrosoft)[action]
	if !ok {
		return nil, brokenf("unknown microsoft control action %q", action)
	}
	if a.Capability != scenario.CapabilityControl {
		return nil, brokenf("the emulator has no %q (capability %s)", action, a.Capability)
	}
	var resp *response
	var err error
	switch action {
	case "reset":
		resp, err = s.emulatorReset(ctx, sr)
	case "purchase":
		resp, err = s.emulatorPurchase(ctx, with, sr)
	case "event":
		resp, err = s.emulatorEvent(ctx, with, sr)
	case "subscription.get":
		resp, err = s.emulatorSubscription(ctx, with, sr)
	case "subscriptions.list":
		resp, err = s.emulatorSubscriptions(ctx, sr)
	default:
		return nil, brokenf("the emulator adapter has no %q", action)
	}
	if err != nil {
		return nil, err
	}
	if (resp.status < 200 || resp.status > 299) && !anyStatus {
		return nil, targetFailure{msg: fmt.Sprintf("control %s (emulator): status %d, body %s", action, resp.status, excerpt(resp.body))}
	}
	return resp, nil
}

// emulatorDo sends one request of the adapter, bounded in time.
func (s *state) emulatorDo(ctx context.Context, method, path string, query url.Values, body any, sr *StepResult, purpose string) (*response, error) {
	out := &outgoing{method: method, path: path, query: query, header: http.Header{}, timeout: emulatorControlTimeout}
	if out.query == nil {
		out.query = url.Values{}
	}
	if body != nil {
		out.body, _ = json.Marshal(body)
		out.header.Set("Content-Type", "application/json")
	}
	return s.do(ctx, out, sr, purpose)
}

// synthetic is an answer the adapter composes from the emulator's.
func synthetic(status int, doc any) *response {
	body, _ := json.Marshal(doc)
	r := &response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
	r.jsonErr = json.Unmarshal(body, &r.json)
	return r
}

// emulatorSetUp installs the offer and points webhooks at the harness.
func (s *state) emulatorSetUp(ctx context.Context, sr *StepResult) error {
	resp, err := s.emulatorDo(ctx, http.MethodPost, "/api/util/offers", nil, emulatorOffer(s.runner.target.Microsoft.Fields), sr, "install the conformance offer")
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return targetFailure{msg: fmt.Sprintf("installing the conformance offer on the emulator: status %d, body %s", resp.status, excerpt(resp.body))}
	}
	return nil
}

// emulatorPointWebhooks sets the emulator's webhook URL to the receiver.
func (s *state) emulatorPointWebhooks(ctx context.Context, sr *StepResult) error {
	if err := s.emulatorSetUp(ctx, sr); err != nil {
		return err
	}
	resp, err := s.emulatorDo(ctx, http.MethodPatch, "/api/util/config", nil, map[string]any{"webhookUrl": s.runner.receiver.URL()}, sr, "point the emulator's webhooks at the harness")
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return targetFailure{msg: fmt.Sprintf("pointing the emulator's webhooks at the harness: status %d, body %s", resp.status, excerpt(resp.body))}
	}
	return nil
}

func (s *state) emulatorReset(ctx context.Context, sr *StepResult) (*response, error) {
	resp, err := s.emulatorDo(ctx, http.MethodDelete, "/api/util/data-file", nil, nil, sr, "reset the emulator")
	if err != nil || resp.status/100 != 2 {
		return resp, err
	}
	if err := s.emulatorPointWebhooks(ctx, sr); err != nil {
		return nil, err
	}
	return synthetic(http.StatusOK, map[string]any{}), nil
}

// emulatorPurchase makes a purchase token as the emulator's page does and
// resolves it with the publisher's token, which creates the subscription.
func (s *state) emulatorPurchase(ctx context.Context, with map[string]any, sr *StepResult) (*response, error) {
	name, _ := with["publisher"].(string)
	cred := orDefault(name, "publisher")
	id := newUUID()
	// A customer as the marketplace describes one (the emulator's own page
	// fills these in too).
	customer := map[string]any{"emailId": "customer-" + id[:8] + "@customer.example", "objectId": newUUID(), "tenantId": newUUID(), "puid": "1003" + id[:8]}
	sub := map[string]any{"id": id, "name": "Conformance " + id[:8], "offerId": s.runner.target.Microsoft.Fields["offerId"],
		"autoRenew": true, "isTest": false, "isFreeTrial": false, "term": map[string]any{"termUnit": "P1M"},
		"beneficiary": customer, "purchaser": customer}
	for _, k := range []string{"offerId", "planId", "quantity", "name", "autoRenew", "isTest", "isFreeTrial", "beneficiary", "purchaser"} {
		if v, ok := with[k]; ok {
			sub[k] = v
		}
	}
	if tu, ok := with["termUnit"]; ok {
		sub["term"] = map[string]any{"termUnit": tu}
	}
	if csp, _ := with["csp"].(bool); csp {
		sub["allowedCustomerOperations"] = []string{"Read"}
		sub["sandboxType"] = "Csp"
	}
	raw, _ := json.MarshalIndent(sub, "", "  ")
	tok := base64.StdEncoding.EncodeToString(raw)
	bearer, err := s.mintToken(cred)
	if err != nil {
		return nil, err
	}
	out := &outgoing{method: http.MethodPost, path: "/api/saas/subscriptions/resolve", query: url.Values{"api-version": {apiVersion}},
		header: http.Header{"X-Ms-Marketplace-Token": {tok}, "Authorization": {"Bearer " + bearer}}, timeout: emulatorControlTimeout}
	resp, err := s.do(ctx, out, sr, "create the purchase by resolving its token")
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return resp, nil
	}
	return synthetic(http.StatusCreated, map[string]any{"subscriptionId": id, "token": url.QueryEscape(tok), "marketplaceToken": tok}), nil
}

// emulatorEntry is one subscription in the emulator's state, with its
// operations by id.
type emulatorEntry struct {
	Subscription map[string]any            `json:"subscription"`
	Operations   map[string]map[string]any `json:"operations"`
}

// emulatorState reads every publisher's subscriptions and operations as
// the emulator holds them (GET /api/util/publishers), by publisher and id.
func (s *state) emulatorState(ctx context.Context, sr *StepResult) (map[string]map[string]emulatorEntry, error) {
	resp, err := s.emulatorDo(ctx, http.MethodGet, "/api/util/publishers", nil, nil, sr, "read the emulator's state")
	if err != nil {
		return nil, err
	}
	var all map[string]map[string]emulatorEntry
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &all) != nil {
		return nil, targetFailure{msg: fmt.Sprintf("reading the emulator's state: status %d, body %s", resp.status, excerpt(resp.body))}
	}
	return all, nil
}

// controlView is one subscription as our sandbox's control API shows it:
// the subscription and its operations, oldest first.
func controlView(sub map[string]any, ops map[string]map[string]any) map[string]any {
	list := make([]map[string]any, 0, len(ops))
	for _, op := range ops {
		list = append(list, op)
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, _ := list[i]["timeStamp"].(string)
		b, _ := list[j]["timeStamp"].(string)
		return a < b
	})
	return map[string]any{"subscription": sub, "operations": list}
}

func (s *state) emulatorSubscription(ctx context.Context, with map[string]any, sr *StepResult) (*response, error) {
	id, _ := with["id"].(string)
	all, err := s.emulatorState(ctx, sr)
	if err != nil {
		return nil, err
	}
	for _, subs := range all {
		if e, ok := subs[id]; ok {
			return synthetic(http.StatusOK, controlView(e.Subscription, e.Operations)), nil
		}
	}
	return synthetic(http.StatusNotFound, map[string]any{"error": "not_found", "error_description": "No subscription " + id + " in the emulator."}), nil
}

func (s *state) emulatorSubscriptions(ctx context.Context, sr *StepResult) (*response, error) {
	all, err := s.emulatorState(ctx, sr)
	if err != nil {
		return nil, err
	}
	var list []any
	for _, pid := range slices.Sorted(maps.Keys(all)) {
		for _, sid := range slices.Sorted(maps.Keys(all[pid])) {
			e := all[pid][sid]
			list = append(list, controlView(e.Subscription, e.Operations))
		}
	}
	return synthetic(http.StatusOK, map[string]any{"subscriptions": list, "total": len(list)}), nil
}

// eventAllowed is where the marketplace can raise each event; elsewhere
// the emulator never answers, so the adapter answers 409 as our sandbox
// does.
var eventAllowed = map[string][]string{
	"ChangePlan": {"Subscribed"}, "ChangeQuantity": {"Subscribed"}, "Suspend": {"Subscribed"},
	"Renew": {"Subscribed"}, "Reinstate": {"Suspended"}, "Unsubscribe": {"Subscribed", "Suspended"},
}

func (s *state) emulatorEvent(ctx context.Context, with map[string]any, sr *StepResult) (*response, error) {
	id, _ := with["id"].(string)
	action, _ := with["action"].(string)
	all, err := s.emulatorState(ctx, sr)
	if err != nil {
		return nil, err
	}
	status := ""
	var before map[string]map[string]any
	for _, subs := range all {
		if e, ok := subs[id]; ok {
			status, _ = e.Subscription["saasSubscriptionStatus"].(string)
			before = e.Operations
		}
	}
	if status == "" {
		return synthetic(http.StatusNotFound, map[string]any{"error": "not_found", "error_description": "No subscription " + id + " in the emulator."}), nil
	}
	if !slices.Contains(eventAllowed[action], status) {
		return synthetic(http.StatusConflict, map[string]any{"error": "conflict",
			"error_description": fmt.Sprintf("%s is not possible on a %s subscription (the emulator would never answer; the adapter did not send it).", action, status)}), nil
	}
	path := "/api/webhook/subscription/" + url.PathEscape(id)
	method, body := http.MethodPost, any(nil)
	switch action {
	case "ChangePlan":
		method, body = http.MethodPatch, map[string]any{"planId": with["planId"]}
	case "ChangeQuantity":
		method, body = http.MethodPatch, map[string]any{"quantity": with["quantity"]}
	default:
		path += "/" + map[string]string{"Suspend": "suspend", "Reinstate": "reinstate", "Renew": "renew", "Unsubscribe": "unsubscribe"}[action]
	}
	resp, err := s.emulatorDo(ctx, method, path, nil, body, sr, "raise "+action+" in the emulator")
	if err != nil || resp.status != http.StatusAccepted {
		return resp, err
	}
	// The operation id is the operation that was not there before. The
	// emulator applies a notify-only event (Suspend, Reinstate, Renew,
	// Unsubscribe) on timers after its 202; our sandbox has applied it when
	// it answers, so the adapter waits until the operation succeeded and the
	// subscription is in the event's state.
	deadline := time.Now().Add(emulatorApplyTimeout)
	for {
		after, err := s.emulatorState(ctx, sr)
		if err != nil {
			return nil, err
		}
		opID, applied := newEmulatorOperation(after, id, before)
		if applied || time.Now().After(deadline) {
			if opID == "" {
				return synthetic(http.StatusAccepted, map[string]any{}), nil
			}
			return synthetic(http.StatusAccepted, map[string]any{"operationId": opID}), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(emulatorApplyPoll):
		}
	}
}

// eventState is the state a notify-only event leaves a subscription in
// ("" for Renew, which keeps it Subscribed); ChangePlan and ChangeQuantity
// stay pending until the publisher answers, so nothing is awaited.
var eventState = map[string]string{"Suspend": "Suspended", "Reinstate": "Subscribed", "Unsubscribe": "Unsubscribed", "Renew": ""}

// How long, and how often, the adapter waits for the emulator to apply a
// notify-only event (its timers default to 0 ms, so a few milliseconds).
const (
	emulatorApplyTimeout = 2 * time.Second
	emulatorApplyPoll    = 5 * time.Millisecond
)

// newEmulatorOperation finds the operation on subscription id that is not
// in before, and whether the event it stands for is applied: a ChangePlan
// or ChangeQuantity at once; a notify-only event once the operation
// succeeded and the subscription is in the event's state.
func newEmulatorOperation(all map[string]map[string]emulatorEntry, id string, before map[string]map[string]any) (string, bool) {
	for _, subs := range all {
		e, ok := subs[id]
		if !ok {
			continue
		}
		for opID, op := range e.Operations {
			if _, old := before[opID]; old {
				continue
			}
			action, _ := op["action"].(string)
			target, notify := eventState[action]
			if !notify {
				return opID, true
			}
			status, _ := e.Subscription["saasSubscriptionStatus"].(string)
			return opID, op["status"] == "Succeeded" && (target == "" || status == target)
		}
	}
	return "", false
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
