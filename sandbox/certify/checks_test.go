package certify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// testSuite has one class of each shape and one verdict of each check
// kind, named after the kind.
const testSuite = `
name: test
api: test
classes:
  token:   {method: POST, path: /oauth/token}
  create:  {method: POST, path: /orders, key: "body:ref"}
  status:  {method: GET, path: "/orders/*", key: "path:2"}
  getop:   {method: GET, path: "/ops/*", key: "path:2"}
  ack:     {method: PATCH, path: "/ops/*", key: "path:2"}
  resolve: {method: POST, path: /resolve}
  usage:   {method: POST, path: /usage, key: "body:res, body:start|hour"}
  webhook: {direction: outbound, method: POST, key: "body:id"}
  needs:   {direction: outbound, key: "body:id", where: {"body:action": [Change]}}
verdicts:
  - {id: token-reuse, requirement: r, check: token-reuse, with: {token: token, calls: [create, status]}}
  - {id: token-renewal, requirement: r, check: token-renewal, with: {token: token, calls: [create, status]}}
  - {id: retry-after, requirement: r, check: retry-after, with: {classes: [token, status]}}
  - {id: backoff, requirement: r, check: backoff, with: {classes: [token, create, status], minDelay: 100ms}}
  - {id: idempotent-retry, requirement: r, check: idempotent-retry, with: {class: create}}
  - {id: polling, requirement: r, check: polling, with: {class: status, field: "response:status", final: [Done, Failed], maxCount: 3}}
  - {id: stops-at, requirement: r, check: stops-at, with: {on: [status], field: "response:status", values: [Failed], then: [status, create]}}
  - {id: once-per-key, requirement: r, check: once-per-key, with: {class: usage}}
  - {id: once-per-delivery, requirement: r, check: once-per-delivery, with: {deliveries: webhook, actions: [ack]}}
  - {id: precedes, requirement: r, check: precedes, with: {deliveries: webhook, first: [getop], then: [ack]}}
  - {id: refused, requirement: r, check: refused, with: {deliveries: webhook, fault: "forge:signature", actions: [getop, ack]}}
  - {id: ack-window, requirement: r, check: ack-window, with: {deliveries: needs, acks: [ack], window: 10s}}
  - {id: answered, requirement: r, check: answered, with: {class: resolve}}
`

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// entry is an inbound request at sec seconds, answered status; opts add
// what a story needs.
func entry(id uint64, sec float64, method, path string, status int, opts ...func(*journal.Entry)) journal.Entry {
	e := journal.Entry{ID: id, Wall: t0.Add(time.Duration(sec * float64(time.Second))), API: "test", Method: method, Path: path,
		Status: status, Client: "c1", LatencyMs: 5}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func body(s string) func(*journal.Entry)   { return func(e *journal.Entry) { e.Request.Body = s } }
func answer(s string) func(*journal.Entry) { return func(e *journal.Entry) { e.Response.Body = s } }
func cred(c string) func(*journal.Entry) {
	return func(e *journal.Entry) { e.Credential = "bearer:" + c }
}
func faulted(eff string) func(*journal.Entry) {
	return func(e *journal.Entry) { e.Fault = &journal.Fault{Rule: "r", Effect: eff} }
}
func retryAfterHeader(v string) func(*journal.Entry) {
	return func(e *journal.Entry) { e.Response.Headers = http.Header{"Retry-After": {v}} }
}

// delivery is a webhook the sandbox sent at sec, answered status.
func delivery(id uint64, sec float64, op, action string, status int, opts ...func(*journal.Entry)) journal.Entry {
	e := entry(id, sec, "POST", "", status, body(`{"id":"`+op+`","action":"`+action+`"}`))
	e.Direction, e.URL, e.Client = journal.DirectionOutbound, "https://publisher.example/webhook", ""
	for _, o := range opts {
		o(&e)
	}
	return e
}

func tok(id uint64, sec float64) journal.Entry {
	return entry(id, sec, "POST", "/oauth/token", 200, answer(`{"access_token":"****","expires_in":7200}`))
}

type story struct {
	name    string
	entries []journal.Entry
	want    Status
	// say is a piece of the detail or of an evidence note.
	say string
}

func TestChecks(t *testing.T) {
	s, err := Parse("test", []byte(testSuite))
	if err != nil {
		t.Fatal(err)
	}
	stories := map[string][]story{
		"token-reuse": {
			{"one token for every call", []journal.Entry{tok(1, 0), entry(2, 1, "POST", "/orders", 201, cred("a")), entry(3, 2, "GET", "/orders/x", 200, cred("a"))}, Pass, "2 API calls on 1 token"},
			{"a token per call", []journal.Entry{tok(1, 0), entry(2, 1, "POST", "/orders", 201, cred("a")), tok(3, 2), entry(4, 3, "GET", "/orders/x", 200, cred("b"))}, Fail, "previous one left"},
			{"a new token after a 401 is fine", []journal.Entry{tok(1, 0), entry(2, 1, "GET", "/orders/x", 401, cred("a")), tok(3, 2), entry(4, 3, "GET", "/orders/x", 200, cred("b"))}, Pass, ""},
		},
		"token-renewal": {
			{"renewed and never reused", []journal.Entry{tok(1, 0), entry(2, 1, "GET", "/orders/x", 401, cred("a"), answer(`{"error":"invalid_token"}`)), tok(3, 2), entry(4, 3, "GET", "/orders/x", 200, cred("b"))}, Pass, "1 rejected"},
			{"the rejected token sent again", []journal.Entry{tok(1, 0), entry(2, 1, "GET", "/orders/x", 401, cred("a"), answer(`{"error":"invalid_token"}`)), entry(3, 3, "GET", "/orders/x", 401, cred("a"))}, Fail, "no token was requested"},
		},
		"retry-after": {
			{"waited", []journal.Entry{entry(1, 0, "POST", "/oauth/token", 503, retryAfterHeader("2")), tok(2, 2.1)}, Pass, "waited out"},
			{"came back at once", []journal.Entry{entry(1, 0, "POST", "/oauth/token", 503, retryAfterHeader("2")), tok(2, 0.3)}, Fail, "before Retry-After"},
			{"never came back", []journal.Entry{entry(1, 0, "POST", "/oauth/token", 503, retryAfterHeader("2"))}, NotExercised, "no request of that class"},
			{"another order read meanwhile is not the retry", []journal.Entry{entry(1, 0, "GET", "/orders/x", 429, retryAfterHeader("2")), entry(2, 0.3, "GET", "/orders/y", 200), entry(3, 2.2, "GET", "/orders/x", 200)}, Pass, "waited out"},
		},
		"backoff": {
			{"waits that grow", []journal.Entry{entry(1, 0, "GET", "/orders/x", 500), entry(2, 0.5, "GET", "/orders/x", 500), entry(3, 1.6, "GET", "/orders/x", 500), entry(4, 4, "GET", "/orders/x", 500), entry(5, 9, "GET", "/orders/x", 200)}, Pass, "1 retry run"},
			{"an immediate retry", []journal.Entry{entry(1, 0, "POST", "/orders", 0, body(`{"ref":"o1"}`), faulted("reset")), entry(2, 0.01, "POST", "/orders", 201, body(`{"ref":"o1"}`))}, Fail, "sooner than 100ms"},
			{"waits that never grow", []journal.Entry{entry(1, 0, "GET", "/orders/x", 500), entry(2, 1, "GET", "/orders/x", 500), entry(3, 2, "GET", "/orders/x", 500), entry(4, 3, "GET", "/orders/x", 200)}, Fail, "did not grow"},
		},
		"idempotent-retry": {
			{"same key, same body", []journal.Entry{entry(1, 0, "POST", "/orders", 201, body(`{"ref":"o1","n":1}`), faulted("truncated")), entry(2, 1, "POST", "/orders", 201, body(`{"n":1, "ref":"o1"}`))}, Pass, "same key and body"},
			{"a new key for the same order", []journal.Entry{entry(1, 0, "POST", "/orders", 201, body(`{"ref":"o1","n":1}`), faulted("truncated")), entry(2, 1, "POST", "/orders", 201, body(`{"ref":"o2","n":1}`))}, Fail, "a second subscription"},
			{"orders alike sent beside a failed one the client went on reading", []journal.Entry{entry(1, 0, "POST", "/orders", 201, body(`{"ref":"o1","n":1}`), faulted("truncated")), entry(2, 0.001, "POST", "/orders", 201, body(`{"ref":"o2","n":1}`)), entry(3, 1, "GET", "/orders/o1", 200)}, NotExercised, "never retried"},
			{"a new key, the failed one abandoned, with another order beside it", []journal.Entry{entry(1, 0, "POST", "/orders", 201, body(`{"ref":"o1","n":1}`), faulted("truncated")), entry(2, 0.001, "POST", "/orders", 201, body(`{"ref":"o2","n":1}`)), entry(3, 0.5, "POST", "/orders", 201, body(`{"ref":"o1-retry","n":1}`))}, Fail, "o1-retry"},
			{"same key, another body", []journal.Entry{entry(1, 0, "POST", "/orders", 201, body(`{"ref":"o1","n":1}`), faulted("truncated")), entry(2, 1, "POST", "/orders", 409, body(`{"ref":"o1","n":2}`))}, Fail, "another body"},
		},
		"polling": {
			{"polite and stops", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200, answer(`{"status":"Created"}`)), entry(2, 1, "GET", "/orders/x", 200, answer(`{"status":"Done"}`))}, Pass, "1 key"},
			{"tight", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200, answer(`{"status":"Created"}`)), entry(2, 0.05, "GET", "/orders/x", 200, answer(`{"status":"Done"}`))}, Fail, "closer than 1s"},
			{"on after final", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200, answer(`{"status":"Done"}`)), entry(2, 2, "GET", "/orders/x", 200, answer(`{"status":"Done"}`))}, Fail, "read again after it"},
			{"too many reads", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200), entry(2, 2, "GET", "/orders/x", 200), entry(3, 4, "GET", "/orders/x", 200), entry(4, 6, "GET", "/orders/x", 200)}, Fail, "more than 3"},
		},
		"stops-at": {
			{"stops at Failed", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200, answer(`{"status":"Failed"}`))}, Pass, "stopped"},
			{"re-creates a failed order", []journal.Entry{entry(1, 0, "GET", "/orders/x", 200, answer(`{"status":"Failed"}`)), entry(2, 1, "POST", "/orders", 201, body(`{"ref":"x"}`))}, Fail, "1 more request"},
		},
		"once-per-key": {
			{"one event an hour", []journal.Entry{entry(1, 0, "POST", "/usage", 200, body(`{"res":"r","start":"2026-03-01T10:05:00Z"}`)), entry(2, 1, "POST", "/usage", 200, body(`{"res":"r","start":"2026-03-01T11:05:00Z"}`))}, Pass, "2 key"},
			{"two in one hour", []journal.Entry{entry(1, 0, "POST", "/usage", 200, body(`{"res":"r","start":"2026-03-01T10:05:00Z"}`)), entry(2, 1, "POST", "/usage", 409, body(`{"res":"r","start":"2026-03-01T10:45:00Z"}`))}, Fail, "r / 2026-03-01T10Z"},
			{"a retry after a broken answer is no duplicate", []journal.Entry{entry(1, 0, "POST", "/usage", 200, body(`{"res":"r","start":"2026-03-01T10:05:00Z"}`), faulted("truncated")), entry(2, 1, "POST", "/usage", 409, body(`{"res":"r","start":"2026-03-01T10:05:00Z"}`))}, Pass, ""},
		},
		"once-per-delivery": {
			{"acted once", []journal.Entry{delivery(1, 0, "op1", "Change", 200), delivery(2, 0.1, "op1", "Change", 200), entry(3, 1, "PATCH", "/ops/op1", 200)}, Pass, "delivered 2 times, 1 action"},
			{"acted twice", []journal.Entry{delivery(1, 0, "op1", "Change", 200), delivery(2, 0.1, "op1", "Change", 200), entry(3, 1, "PATCH", "/ops/op1", 200), entry(4, 1.1, "PATCH", "/ops/op1", 409)}, Fail, "action 2 of 2"},
		},
		"precedes": {
			{"checked first", []journal.Entry{delivery(1, 0, "op1", "Change", 200), entry(2, 1, "GET", "/ops/op1", 200), entry(3, 2, "PATCH", "/ops/op1", 200)}, Pass, "1 action"},
			{"acted blind", []journal.Entry{delivery(1, 0, "op1", "Change", 200), entry(3, 2, "PATCH", "/ops/op1", 200)}, Fail, "without checking it first"},
		},
		"refused": {
			{"refused", []journal.Entry{delivery(1, 0, "op1", "Renew", 401, faulted("forge:signature"))}, Pass, "refused"},
			{"accepted and acted on", []journal.Entry{delivery(1, 0, "op1", "Renew", 200, faulted("forge:signature")), entry(2, 1, "GET", "/ops/op1", 200)}, Fail, "acted on op1 after its forged delivery"},
			{"acting after a genuine redelivery is fine", []journal.Entry{delivery(1, 0, "op1", "Renew", 401, faulted("forge:signature")), delivery(2, 5, "op1", "Renew", 200), entry(3, 6, "GET", "/ops/op1", 200)}, Pass, ""},
		},
		"ack-window": {
			{"acknowledged in time", []journal.Entry{delivery(1, 0, "op1", "Change", 200), entry(2, 3, "PATCH", "/ops/op1", 200)}, Pass, "acknowledged 3s"},
			{"late", []journal.Entry{delivery(1, 0, "op1", "Change", 200), entry(2, 15, "PATCH", "/ops/op1", 200)}, Fail, "later than 10s"},
			{"never", []journal.Entry{delivery(1, 0, "op1", "Change", 200)}, Fail, "never acknowledged"},
			{"refused at once", []journal.Entry{delivery(1, 0, "op1", "Change", 400)}, Pass, "refused with 400"},
		},
		"answered": {
			{"every resolve 200", []journal.Entry{entry(1, 0, "POST", "/resolve", 200)}, Pass, "1 request"},
			{"an encoded token", []journal.Entry{entry(1, 0, "POST", "/resolve", 400, answer(`{"message":"It looks URL-encoded"}`))}, Fail, "It looks URL-encoded"},
		},
	}
	for _, v := range s.Verdicts {
		t.Run(v.ID, func(t *testing.T) {
			all := append([]story{{"nothing happened", nil, NotExercised, ""}}, stories[v.ID]...)
			if len(all) < 3 {
				t.Fatalf("check %s needs a passing and a failing story", v.ID)
			}
			for _, st := range all {
				t.Run(st.name, func(t *testing.T) {
					got := judgeOne(s, v.ID, st.entries)
					if got.Status != st.want || !says(got, st.say) {
						t.Errorf("got %s %q, evidence %+v; want %s saying %q", got.Status, got.Detail, got.Evidence, st.want, st.say)
					}
					if got.Status == Fail && len(got.Evidence) == 0 {
						t.Errorf("a failure must show its evidence: %q", got.Detail)
					}
				})
			}
		})
	}
}

// judgeOne judges the entries with one verdict of s.
func judgeOne(s Suite, id string, entries []journal.Entry) VerdictResult {
	one := s
	one.Verdicts = nil
	for _, v := range s.Verdicts {
		if v.ID == id {
			one.Verdicts = append(one.Verdicts, v)
		}
	}
	return Judge(one, entries, 0).Verdicts[0]
}

func says(v VerdictResult, text string) bool {
	if strings.Contains(v.Detail, text) {
		return true
	}
	for _, e := range v.Evidence {
		if strings.Contains(e.Note, text) {
			return true
		}
	}
	return false
}
