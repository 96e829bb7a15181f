package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// pattern sends n status requests and writes F for a faulted answer, . for
// the real one.
func pattern(t *testing.T, srv *sandboxtest.Server, tok string, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		if a := getStatus(t, srv, tok, "x"); a.status == http.StatusServiceUnavailable {
			b.WriteByte('F')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestSchedules(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", "demo-secret")
	cases := []struct{ name, schedule, want string }{
		{"always", `{}`, "FFFFFF"},
		{"times", `{"times":2}`, "FF...."},
		{"every", `{"every":3}`, "..F..F"},
		{"every with times", `{"every":2,"times":2}`, ".F.F.."},
		{"probability 0", `{"probability":0}`, "......"},
		{"probability 1", `{"probability":1}`, "FFFFFF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
			addRule(t, srv, `{"id":"s","match":{"path":"`+statusRoute+`"},"effect":{"status":503},"schedule":`+tc.schedule+`}`)
			if got := pattern(t, srv, tok, 6); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			a := send(t, http.MethodGet, srv.URL+"/_sandbox/faults/s", "")
			if a.body["matches"] != 6.0 || a.body["hits"] != float64(strings.Count(tc.want, "F")) {
				t.Errorf("counters %s", a.raw)
			}
		})
	}
}

func TestProbabilityFollowsTheSeed(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", "demo-secret")
	addRule(t, srv, `{"id":"coin","match":{"path":"`+statusRoute+`"},"effect":{"status":503},"schedule":{"probability":0.5}}`)
	// A second rule that matches other requests must not disturb the first.
	addRule(t, srv, `{"id":"other","match":{"path":"/oauth/token"},"effect":{"status":503},"schedule":{"probability":0.5}}`)
	run := func(seed string) string {
		if a := send(t, http.MethodPost, srv.URL+"/_sandbox/faults/seed", `{"seed":`+seed+`}`); a.status != 200 || a.body["seed"] != mustFloat(seed) {
			t.Fatalf("seed: %d %s", a.status, a.raw)
		}
		var b strings.Builder
		for i := range 40 {
			b.WriteString(pattern(t, srv, tok, 1))
			if i%7 == 0 {
				_, _ = srv.Token("demo-partner", "demo-secret", "marketplace.order:read")
			}
		}
		return b.String()
	}
	first, again, other := run("7"), run("7"), run("8")
	if first != again {
		t.Errorf("seed 7 twice:\n%s\n%s", first, again)
	}
	if first == other {
		t.Errorf("seeds 7 and 8 gave the same faults: %s", first)
	}
	if n := strings.Count(first, "F"); n < 8 || n > 32 {
		t.Errorf("probability 0.5 fired %d of 40", n)
	}
}

func mustFloat(s string) float64 {
	var f float64
	for _, c := range s {
		f = f*10 + float64(c-'0')
	}
	return f
}

func TestWindowFollowsTheSandboxClock(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", "demo-secret")
	addRule(t, srv, `{"match":{"path":"`+statusRoute+`"},"effect":{"status":503},"schedule":{"from":"+10m","until":"2030-01-01T00:20:00Z"}}`)
	steps := []struct{ advance, want string }{{"0s", "."}, {"9m", "."}, {"1m", "F"}, {"9m", "F"}, {"1m", "."}}
	for _, st := range steps {
		send(t, http.MethodPost, srv.URL+"/_sandbox/clock/advance", `{"by":"`+st.advance+`"}`)
		if got := pattern(t, srv, tok, 1); got != st.want {
			t.Errorf("after +%s: %s, want %s", st.advance, got, st.want)
		}
	}
}

func TestPartnerAndClientScoping(t *testing.T) {
	srv := frozen(t)
	demo, second := token(t, srv, "demo-partner", "demo-secret"), token(t, srv, "second-partner", "second-secret")
	addRule(t, srv, `{"match":{"partner":"demo-partner","path":"`+statusRoute+`"},"effect":{"status":503}}`)
	if got := pattern(t, srv, demo, 2); got != "FF" {
		t.Errorf("demo-partner: %s", got)
	}
	if got := pattern(t, srv, second, 2); got != ".." {
		t.Errorf("second-partner: %s", got)
	}
	// Token requests name their client in the body; the body is read
	// whole by the portal after the fault layer looked at it.
	addRule(t, srv, `{"match":{"client":"second-partner","path":"/oauth/token"},"effect":{"status":429}}`)
	form := func(id, secret string) string {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"marketplace.order:read"}}.Encode()
	}
	formType := "application/x-www-form-urlencoded"
	if a := send(t, http.MethodPost, srv.URL+"/oauth/token", form("second-partner", "second-secret"), "Content-Type", formType); a.status != 429 {
		t.Errorf("second-partner's form token request: %d %s", a.status, a.raw)
	}
	if a := send(t, http.MethodPost, srv.URL+"/oauth/token", `{"grant_type":"client_credentials","client_id":"second-partner","client_secret":"second-secret","scope":"marketplace.order:read"}`, "Content-Type", jsonType); a.status != 429 {
		t.Errorf("second-partner's JSON token request: %d %s", a.status, a.raw)
	}
	if a := send(t, http.MethodPost, srv.URL+"/oauth/token", form("demo-partner", "demo-secret"), "Content-Type", formType); a.status != 200 {
		t.Errorf("demo-partner's token request: %d %s", a.status, a.raw)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials&scope=marketplace.order:read"))
	req.SetBasicAuth("second-partner", "second-secret")
	req.Header.Set("Content-Type", formType)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 429 {
		t.Errorf("second-partner with Basic: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
}

func TestConfigFileRulesAreRestoredByReset(t *testing.T) {
	rules := fault.Rules{{ID: "boot", Match: fault.Match{Path: statusRoute}, Effect: fault.Effect{Status: 503}, Schedule: fault.Schedule{Times: 1}}}
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.Faults = rules; c.FaultSeed = 42 }))
	tok := token(t, srv, "demo-partner", "demo-secret")
	if got := pattern(t, srv, tok, 2); got != "F." {
		t.Fatalf("config rule: %s", got)
	}
	addRule(t, srv, `{"id":"runtime","match":{"path":"/oauth/token"},"effect":{"status":503}}`)
	send(t, http.MethodDelete, srv.URL+"/_sandbox/faults/boot", "")
	send(t, http.MethodPost, srv.URL+"/_sandbox/reset", "")
	a := send(t, http.MethodGet, srv.URL+"/_sandbox/faults", "")
	list, _ := a.body["rules"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != "boot" || list[0].(map[string]any)["hits"] != 0.0 || a.body["seed"] != 42.0 {
		t.Fatalf("after reset: %s", a.raw)
	}
	tok = token(t, srv, "demo-partner", "demo-secret")
	if got := pattern(t, srv, tok, 2); got != "F." {
		t.Errorf("restored rule starts over: %s", got)
	}
}
