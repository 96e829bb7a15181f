package certify

import (
	"reflect"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// base is a valid suite that each parse story breaks in one place.
const base = `name: t
api: test
classes:
  token: {method: POST, path: /oauth/token}
  status: {method: GET, path: "/orders/*", key: "path:2"}
challenges:
  - id: token-503
    describe: a 503
    fault: {match: {method: POST, path: /oauth/token}, effect: {status: 503, retryAfter: 2s}}
    nth: [1, 5]
verdicts:
  - id: reuse
    requirement: reuse the token
    check: token-reuse
    with: {token: token, calls: [status]}
`

func TestParseErrors(t *testing.T) {
	if _, err := Parse("t", []byte(base)); err != nil {
		t.Fatalf("the base suite must parse: %v", err)
	}
	cases := []struct{ name, old, new, want string }{
		{"an unknown top-level key", "api: test", "api: test\nowner: me", `t.yaml:3: suite: unknown field "owner"`},
		{"a wrong type", "api: test", "api: [test]", "t.yaml:2: suite:"},
		{"a duplicate key", "api: test", "api: test\napi: other", `t.yaml:3: suite: mapping key "api" already defined`},
		{"the name is not the file's", "name: t", "name: other", `name: must be the file's name "t"`},
		{"an unknown class field", "key: \"path:2\"}", "key: \"path:2\", verb: GET}", `t.yaml:5: classes.status: unknown field "verb"`},
		{"a bad selector", `"path:2"`, `"path:two"`, "t.yaml:5: classes.status: key:"},
		{"a bad path pattern", `"/orders/*"`, `"/orders/x*"`, `classes.status: path "/orders/x*"`},
		{"an unknown check kind", "check: token-reuse", "check: token-reuse-please", `t.yaml:12: verdicts.reuse.check: "token-reuse-please" is not a check kind`},
		{"a verdict naming an unknown class", "calls: [status]", "calls: [state]", `t.yaml:15: verdicts.reuse.with: calls: no class "state" (the classes are status, token)`},
		{"an unknown parameter", "calls: [status]}", "calls: [status], within: 5m}", `t.yaml:15: verdicts.reuse.with: unknown field "within"`},
		{"a parameter of the wrong type", "calls: [status]}", "calls: [status], renewWithin: soon}", "t.yaml:15: verdicts.reuse.with:"},
		{"a duplicate verdict id", "    with: {token: token, calls: [status]}\n", "    with: {token: token, calls: [status]}\n  - {id: reuse, requirement: r, check: token-reuse, with: {token: token, calls: [status]}}\n", `verdicts.reuse.id: "reuse" is used twice`},
		{"a duplicate challenge id", "    nth: [1, 5]\n", "    nth: [1, 5]\n  - {id: token-503, describe: d, control: {method: POST, path: /_sandbox/x}}\n", `challenges.token-503.id: "token-503" is used twice`},
		{"a bad nth", "nth: [1, 5]", "nth: [5, 1]", "t.yaml:7: challenges.token-503: nth:"},
		{"an unknown fault field", "retryAfter: 2s}", "retryAfter: 2s, colour: red}", "challenges.token-503: fault: unknown field"},
		{"a fault with its own schedule", "nth: [1, 5]", "nth: [1, 5]\n    schedule: {times: 1}", `unknown field "schedule"`},
		{"a trigger naming an unknown class", "    nth: [1, 5]\n", "    nth: [1, 5]\n  - {id: c, describe: d, after: {class: nope}, control: {method: POST, path: /_sandbox/x}}\n", `challenges.c: after: no class "nope"`},
		{"a control call outside the control API", "    nth: [1, 5]\n", "    nth: [1, 5]\n  - {id: c, describe: d, control: {method: POST, path: /api/x}}\n", "control: method and a path under /_sandbox/"},
		{"a verdict without a requirement", "requirement: reuse the token", "requirement: \"\"", "verdicts.reuse.requirement: say what the client must do"},
		{"a keyed check on a class without a key", "check: token-reuse\n    with: {token: token, calls: [status]}", "check: once-per-key\n    with: {class: token}", `class "token" needs a key`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(base, c.old, c.new, 1)
			if doc == base {
				t.Fatalf("the story changes nothing: %q not in the base suite", c.old)
			}
			_, err := Parse("t", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to say %q", err, c.want)
			}
		})
	}
}

func TestArm(t *testing.T) {
	s, err := Parse("t", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the same seed gives the same plan", func(t *testing.T) {
		if a, b := s.Arm(42), s.Arm(42); !reflect.DeepEqual(a, b) {
			t.Fatalf("%+v != %+v", a, b)
		}
	})
	t.Run("seeds spread over nth", func(t *testing.T) {
		seen := map[int]bool{}
		for seed := int64(0); seed < 200; seed++ {
			r := s.Arm(seed)[0].Fault
			if r.Schedule.Times != 1 || r.Schedule.Every < 1 || r.Schedule.Every > 5 {
				t.Fatalf("seed %d: schedule %+v", seed, r.Schedule)
			}
			seen[r.Schedule.Every] = true
		}
		if len(seen) != 5 {
			t.Fatalf("200 seeds drew only %v of [1, 5]", seen)
		}
	})
	t.Run("the rule is the challenge's", func(t *testing.T) {
		r := s.Arm(1)[0].Fault
		if r.ID != "token-503" || r.API != "test" || r.Effect.Status != 503 || r.Effect.RetryAfter == nil || *r.Effect.RetryAfter != fault.Duration(2e9) {
			t.Fatalf("rule %+v", r)
		}
	})
	t.Run("arming leaves the suite alone", func(t *testing.T) {
		s.Arm(7)
		if s.Challenges[0].Fault.Schedule != (fault.Schedule{}) {
			t.Fatalf("the suite's rule was changed: %+v", s.Challenges[0].Fault.Schedule)
		}
	})
}

func TestTriggeredControl(t *testing.T) {
	s, err := Load("gitlab-client")
	if err != nil {
		t.Fatal(err)
	}
	var failed Challenge
	for _, c := range s.Arm(1) {
		if c.ID == "order-failed" {
			failed = c
		}
	}
	create := journal.Entry{API: "gitlab", Method: "POST", Path: "/api/v1/marketplace/subscriptions", Status: 201, Partner: "p-1", Client: "c-1",
		Request: journal.Message{Body: `{"externalSubscriptionId":"order \"1\""}`}}
	t.Run("a create answered 201 triggers it with its key", func(t *testing.T) {
		key, ok := failed.Trigger.Match(create)
		if !ok || key != `order "1"` {
			t.Fatalf("Match = %q, %v", key, ok)
		}
		call := failed.Control.Fill(key, create)
		if !strings.Contains(string(call.Body), `"externalSubscriptionId":"order \"1\""`) || !strings.Contains(string(call.Body), `"partner":"p-1"`) {
			t.Fatalf("body %s", call.Body)
		}
	})
	t.Run("a create whose answer was broken does not", func(t *testing.T) {
		broken := create
		broken.Fault = &journal.Fault{Rule: "create-truncated", Effect: "truncated"}
		if _, ok := failed.Trigger.Match(broken); ok {
			t.Fatal("a truncated answer triggered the challenge")
		}
	})
	t.Run("another status does not", func(t *testing.T) {
		refused := create
		refused.Status = 422
		if _, ok := failed.Trigger.Match(refused); ok {
			t.Fatal("a 422 triggered the challenge")
		}
	})
}

func TestLostEntriesFailEveryVerdict(t *testing.T) {
	s, err := Parse("test", []byte(testSuite))
	if err != nil {
		t.Fatal(err)
	}
	entries := []journal.Entry{entry(1, 0, "POST", "/resolve", 200)}
	if r := Judge(s, entries, 0); r.Verdicts[len(r.Verdicts)-1].Status != Pass {
		t.Fatalf("the resolve verdict should pass on a whole journal: %+v", r.Verdicts[len(r.Verdicts)-1])
	}
	r := Judge(s, entries, 3)
	if r.Passed || r.Summary.Fail != len(s.Verdicts) || r.Journal.Lost != 3 {
		t.Fatalf("a journal that lost entries must fail every verdict: %+v", r.Summary)
	}
	if !strings.Contains(r.Verdicts[0].Detail, "dropped 3 entries") {
		t.Fatalf("detail %q", r.Verdicts[0].Detail)
	}
}

func TestPassedNeedsEveryMustVerdict(t *testing.T) {
	doc := `name: p
api: test
classes:
  resolve: {method: POST, path: /resolve}
  usage: {method: POST, path: /usage, key: "body:res"}
verdicts:
  - {id: resolved, requirement: r, check: answered, with: {class: resolve}}
  - {id: metered, requirement: r, check: once-per-key, with: {class: usage}, must: false}
`
	s, err := Parse("p", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("an optional verdict not exercised does not block", func(t *testing.T) {
		r := Judge(s, []journal.Entry{entry(1, 0, "POST", "/resolve", 200)}, 0)
		if !r.Passed || r.Summary != (Summary{Pass: 1, NotExercised: 1}) {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a must verdict not exercised does", func(t *testing.T) {
		if r := Judge(s, nil, 0); r.Passed {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("an optional verdict that fails does too", func(t *testing.T) {
		dup := `{"res":"r","start":"2026-03-01T10:05:00Z"}`
		r := Judge(s, []journal.Entry{entry(1, 0, "POST", "/resolve", 200),
			entry(2, 1, "POST", "/usage", 200, body(dup)), entry(3, 2, "POST", "/usage", 409, body(dup))}, 0)
		if r.Passed || r.Summary.Fail != 1 {
			t.Fatalf("a duplicate usage event passed the report: %+v", r)
		}
	})
}
