package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/fault"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

func TestFaultControlAPI(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.FaultSeed = 9 }))
	a := addRule(t, srv, `{"match":{"method":"GET","path":"`+statusRoute+`","headers":{"X-Test":"1"}},"effect":{"status":503}}`)
	if a["id"] != "r1" || a["matches"] != 0.0 || a["createdAt"] != frozenOrigin {
		t.Errorf("stored rule %v", a)
	}
	addRule(t, srv, `{"id":"mine","match":{},"effect":{"latency":{"fixed":"1ms"}}}`)
	if a := addRule(t, srv, `{"match":{},"effect":{"transport":"empty"}}`); a["id"] != "r2" {
		t.Errorf("second generated id %v", a["id"])
	}
	list := send(t, http.MethodGet, srv.URL+"/_sandbox/faults", "")
	if rules, _ := list.body["rules"].([]any); len(rules) != 3 || list.body["seed"] != 9.0 {
		t.Fatalf("list %s", list.raw)
	}
	if g := send(t, http.MethodGet, srv.URL+"/_sandbox/faults/mine", ""); g.status != 200 || g.body["effect"].(map[string]any)["latency"] == nil {
		t.Errorf("get %d %s", g.status, g.raw)
	}
	for _, step := range []struct {
		method, path string
		want         int
	}{
		{http.MethodDelete, "/_sandbox/faults/mine", 204},
		{http.MethodDelete, "/_sandbox/faults/mine", 404},
		{http.MethodGet, "/_sandbox/faults/mine", 404},
		{http.MethodDelete, "/_sandbox/faults", 204},
		{http.MethodGet, "/_sandbox/faults/r1", 404},
		{http.MethodPut, "/_sandbox/faults", 405},
	} {
		if a := send(t, step.method, srv.URL+step.path, ""); a.status != step.want {
			t.Errorf("%s %s: %d %s", step.method, step.path, a.status, a.raw)
		}
	}
}

func TestBadFaultRulesAreRefused(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"id":"taken","match":{},"effect":{"status":503}}`)
	cases := []struct {
		name, body string
		wantStatus int
		wantFields []string
	}{
		{"duplicate id", `{"id":"taken","match":{},"effect":{"status":503}}`, 409, nil},
		{"no body", ``, 400, nil},
		{"not JSON", `{`, 400, nil},
		{"unknown field", `{"match":{},"effect":{"status":503},"when":"now"}`, 400, nil},
		{"unknown nested field", `{"match":{"verb":"GET"},"effect":{"status":503}}`, 400, nil},
		{"wrong type", `{"match":{},"effect":{"status":"503"}}`, 400, nil},
		{"two rules", `{"match":{},"effect":{"status":503}} {}`, 400, nil},
		{"no effect", `{"match":{}}`, 422, []string{"effect"}},
		{"control path", `{"match":{"path":"/_sandbox/health"},"effect":{"status":503}}`, 422, []string{"match.path"}},
		{"control api", `{"api":"sandbox","match":{},"effect":{"status":503}}`, 422, []string{"api"}},
		{"a partner the fixtures lack", `{"match":{"partner":"demo-partnr"},"effect":{"status":503}}`, 422, []string{"match.partner"}},
		{"a client the fixtures lack", `{"api":"gitlab","match":{"client":"nobody"},"effect":{"status":503}}`, 422, []string{"match.client"}},
		{"every problem at once", `{"id":"bad id","match":{"method":"get","path":"nope/*x"},"effect":{"status":200,"transport":"smoke","message":"m","latency":{"fixed":"1ms","uniform":{"min":"2s","max":"1s"}}},"schedule":{"times":-1,"every":-2,"probability":1.5,"from":"soon","until":"+x"}}`, 422,
			[]string{"id", "match.method", "match.path", "effect.status", "effect", "effect.transport", "effect.latency.uniform", "effect.latency", "schedule.times", "schedule.every", "schedule.probability", "schedule.from", "schedule.until"}},
		{"status not in the envelope", `{"match":{},"effect":{"status":418}}`, 422, []string{"effect.status"}},
		{"message without status", `{"match":{},"effect":{"transport":"reset","message":"x"}}`, 422, []string{"effect.message"}},
		{"retryAfter without status", `{"match":{},"effect":{"latency":{"fixed":"1ms"},"retryAfter":"1s"}}`, 422, []string{"effect.retryAfter"}},
		{"log-normal without median", `{"match":{},"effect":{"latency":{"logNormal":{"sigma":0.5}}}}`, 422, []string{"effect.latency.logNormal.median"}},
		{"latency over an hour", `{"match":{},"effect":{"latency":{"fixed":"2h"}}}`, 422, []string{"effect.latency.fixed"}},
		{"window backwards", `{"match":{},"effect":{"status":503},"schedule":{"from":"2030-01-02T00:00:00Z","until":"2030-01-01T00:00:00Z"}}`, 422, []string{"schedule.until"}},
		{"bad duration", `{"match":{},"effect":{"latency":{"fixed":"soon"}}}`, 400, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, http.MethodPost, srv.URL+"/_sandbox/faults", tc.body, "Content-Type", jsonType)
			if a.status != tc.wantStatus || a.body["error_description"] == "" || a.body["request_id"] == "" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			var fields []string
			errs, _ := a.body["errors"].([]any)
			for _, e := range errs {
				fields = append(fields, e.(map[string]any)["field"].(string))
			}
			for _, want := range tc.wantFields {
				if !strings.Contains(","+strings.Join(fields, ",")+",", ","+want+",") {
					t.Errorf("no problem for %s in %s", want, a.raw)
				}
			}
		})
	}
	for _, body := range []string{``, `{}`, `{"seed":-1}`, `{"seed":"7"}`, `{"seed":1,"x":2}`} {
		if a := send(t, http.MethodPost, srv.URL+"/_sandbox/faults/seed", body); a.status != 400 {
			t.Errorf("seed %s: %d %s", body, a.status, a.raw)
		}
	}
}

func TestConfigFileFaultsAreCheckedAtStart(t *testing.T) {
	good := "fault_seed: 7\nfaults:\n  - id: slow-tokens\n    api: gitlab\n    match: {method: POST, path: /oauth/token}\n    effect:\n      latency: {uniform: {min: 100ms, max: 2s}}\n    schedule: {probability: 0.25, until: +10m}\n  - match: {partner: demo-partner}\n    effect: {status: 429, retryAfter: 30}\n"
	cfg := sandbox.DefaultConfig()
	if err := settings.DecodeYAML([]byte(good), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Faults) != 2 || cfg.Faults[0].Schedule.Until != "+10m" || cfg.Validate() != nil {
		t.Fatalf("faults %+v, validate %v", cfg.Faults, cfg.Validate())
	}
	cases := []struct{ name, doc, want string }{
		{"unknown field", "faults:\n  - match: {}\n    effect: {status: 503}\n    when: now\n", `unknown field "when"`},
		{"not a list", "faults: {match: {}}\n", "must be a list"},
		{"bad rule", "faults:\n  - match: {path: /_sandbox/reset}\n    effect: {status: 200}\n", "faults[0].effect.status"},
		{"repeated id", "faults:\n  - {id: a, match: {}, effect: {status: 503}}\n  - {id: a, match: {}, effect: {status: 503}}\n", "faults[1].id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			err := settings.DecodeYAML([]byte(tc.doc), &cfg)
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
			if err == nil {
				if _, err := sandbox.New(cfg); err == nil {
					t.Error("sandbox.New accepted it")
				}
			}
		})
	}
}

func TestUnknownPartnerInARuleNamesTheKnownOnes(t *testing.T) {
	srv := frozen(t)
	a := send(t, http.MethodPost, srv.URL+"/_sandbox/faults", `{"match":{"partner":"demo-partnr","client":"second-partner"},"effect":{"status":503}}`, "Content-Type", jsonType)
	if a.status != 422 || !strings.Contains(a.raw, `\"demo-partnr\" is not a partner of this sandbox (contoso, demo-partner, fabrikam, readonly-partner, second-partner)`) {
		t.Errorf("%d %s", a.status, a.raw)
	}
	if strings.Contains(a.raw, "match.client") {
		t.Errorf("a known client was refused: %s", a.raw)
	}
}

func TestConfigFileRuleWithAnUnknownPartnerStopsTheStart(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Faults = fault.Rules{{Match: fault.Match{Partner: "ghost"}, Effect: fault.Effect{Status: 503}}}
	_, err := sandbox.New(cfg)
	if err == nil || !strings.Contains(err.Error(), "faults[0].match.partner") || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("got %v", err)
	}
}
