package gitlab_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// withConfigFile loads doc as the sandbox's YAML configuration file would be.
func withConfigFile(t *testing.T, doc string) sandboxtest.Option {
	t.Helper()
	return sandboxtest.WithConfig(func(c *sandbox.Config) {
		if err := settings.DecodeYAML([]byte(doc), c); err != nil {
			t.Fatalf("config file: %v", err)
		}
	})
}

const scriptsFile = `
gitlab:
  scripts:
    - partner: demo-partner
      license: { bounce: "550 from the config file" }
    - id: slow-second
      partner: second-partner
      zuora: { latency: 10m }
`

func TestResetRestoresConfigScriptsAndDropsPendingWork(t *testing.T) {
	srv := frozen(t, withConfigFile(t, scriptsFile))
	if list := controlList(t, srv, "/_sandbox/gitlab/scripts", "scripts"); len(list) != 2 || list[0]["id"] != "config-1" || list[1]["id"] != "slow-second" {
		t.Fatalf("config scripts %v", list)
	}
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"held","callout":{"manual":true}}`)
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"retried","callout":{"failTimes":2}}`)
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"slow","zuora":{"latency":"1h"}}`)
	mustScript(t, srv, `{"partner":"demo-partner","externalSubscriptionId":"hung","zuora":{"timeout":true}}`)
	tok := token(t, srv, "demo-partner", scopeCreate)
	for _, ext := range []string{"held", "retried", "slow", "hung"} {
		create(t, srv, tok, order(ext))
	}
	srv.Advance(2 * time.Second) // "retried" is between attempts, "held" waits, the others are still Creating

	if r := call(t, http.MethodPost, srv.URL+"/_sandbox/reset", nil, nil); r.status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	if list := controlList(t, srv, "/_sandbox/gitlab/scripts", "scripts"); len(list) != 2 || list[0]["id"] != "config-1" {
		t.Errorf("after reset, scripts %v, want only the config file's", list)
	}
	for path, key := range map[string]string{
		"/_sandbox/gitlab/callouts/pending": "pending", "/_sandbox/gitlab/callouts": "deliveries",
		"/_sandbox/gitlab/subscriptions": "subscriptions", "/_sandbox/clock": "pending",
	} {
		if left := controlList(t, srv, path, key); len(left) != 0 {
			t.Errorf("%s still lists %v after reset", path, left)
		}
	}
	srv.Advance(48 * time.Hour)
	if subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions", "subscriptions"); len(subs) != 0 {
		t.Errorf("work from before the reset wrote %v", subs)
	}
	tok = token(t, srv, "demo-partner", scopeCreate)
	lifecycle{created: "Created", steps: []step{{2 * time.Second, "Provisioned"}}, path: "Creating>Created>Provisioned",
		check: func(t *testing.T, srv *sandboxtest.Server, sub map[string]any) {
			scriptedEvent(t, sub, "license", "config-1", "550 from the config file")
		}}.run(t, srv, order("held"))
}

func TestConfigFileScriptsAreCheckedAtStart(t *testing.T) {
	for want, doc := range map[string]string{
		"gitlab.scripts[0].callout.auth": "gitlab:\n  scripts:\n    - callout: { auth: basic }\n",
		"gitlab.scripts[0].partner":      "gitlab:\n  scripts:\n    - { partner: nobody, callout: { drop: true } }\n",
		"gitlab.scripts[1].id":           "gitlab:\n  scripts:\n    - { id: a, callout: { drop: true } }\n    - { id: a, callout: { drop: true } }\n",
	} {
		cfg := sandbox.DefaultConfig()
		if err := settings.DecodeYAML([]byte(doc), &cfg); err != nil {
			t.Fatal(err)
		}
		_, err := sandboxtest.Start(sandboxtest.WithConfig(func(c *sandbox.Config) { *c = cfg }))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v, want it to name %s", doc, err, want)
		}
	}
}

// TestConcurrentCreatesWhileScriptsChangeKeepEveryTimelineTrue races
// creates against script changes and clock advances, then checks that each
// order's timeline walks only edges of the status graph and ends at its
// status.
func TestConcurrentCreatesWhileScriptsChangeKeepEveryTimelineTrue(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.TokenLifetime = 1000 * time.Hour }))
	tok := token(t, srv, "demo-partner", scopeCreate)
	effects := []string{
		`"zuora":{"error":"x"}`, `"zuora":{"latency":"3m"}`, `"zuora":{"timeout":true}`, `"zuora":{"decline":"x"}`,
		`"salesforce":{"error":"x"}`, `"salesforce":{"latency":"1m"}`, `"callout":{"delay":"10m"}`, `"callout":{"drop":true}`,
		`"callout":{"duplicate":2}`, `"callout":{"reorder":true}`, `"callout":{"failTimes":1}`, `"callout":{"manual":true}`,
		`"provisioning":{"error":"x"}`, `"license":{"bounce":"x"}`,
	}
	magic := []string{"ord", "sandbox-zuora-slow", "sandbox-callout-duplicate", "sandbox-callout-fail-twice", "sandbox-license-error"}
	const creators, perCreator = 6, 15
	stop := make(chan struct{})
	var chaos, wg sync.WaitGroup
	chaos.Add(2)
	go func() { defer chaos.Done(); churnScripts(t, srv, effects, stop) }()
	go func() { // time moves, at most 400 × 17 s, well inside the token's lifetime however fast the creators are
		defer chaos.Done()
		for range 400 {
			select {
			case <-stop:
				return
			default:
				srv.Advance(17 * time.Second)
			}
		}
	}()
	for c := range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perCreator {
				ext := fmt.Sprintf("%s-%d-%d", magic[(c+i)%len(magic)], c, i)
				if r := create(t, srv, tok, order(ext)); r.status != http.StatusCreated {
					t.Errorf("create %s: %d %s", ext, r.status, r.raw)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	chaos.Wait()
	for _, p := range controlList(t, srv, "/_sandbox/gitlab/callouts/pending", "pending") {
		call(t, http.MethodPost, srv.URL+"/_sandbox/gitlab/callouts/"+p["id"].(string)+"/fire", nil, nil)
	}
	srv.Advance(72 * time.Hour)

	subs := controlList(t, srv, "/_sandbox/gitlab/subscriptions", "subscriptions")
	if len(subs) != creators*perCreator {
		t.Fatalf("%d subscriptions, want %d", len(subs), creators*perCreator)
	}
	for _, sub := range subs {
		checkTimelineWalksTheGraph(t, sub)
	}
}

// churnScripts adds scripts for everyone or for demo-partner and deletes
// some, until stop closes.
func churnScripts(t *testing.T, srv *sandboxtest.Server, effects []string, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		scope := []string{``, `"partner":"demo-partner",`}[rng.IntN(2)]
		postScript(t, srv, fmt.Sprintf(`{"id":"r%d",%s%s}`, i, scope, effects[rng.IntN(len(effects))]))
		if i%3 == 0 {
			call(t, http.MethodDelete, srv.URL+fmt.Sprintf("/_sandbox/gitlab/scripts/r%d", rng.IntN(i+1)), nil, nil)
		}
	}
}

func checkTimelineWalksTheGraph(t *testing.T, sub map[string]any) {
	t.Helper()
	at := subscription.Status("")
	for _, e := range events(sub) {
		if e["kind"] != "status" {
			continue
		}
		from, _ := e["from"].(string)
		to := subscription.Status(e["to"].(string))
		switch {
		case at == "" && to == subscription.Creating && from == "":
		case subscription.Status(from) == at && at.CanBecome(to):
		default:
			t.Errorf("%s: transition %s→%s from status %s is not in the graph", sub["externalSubscriptionId"], from, to, at)
		}
		at = to
	}
	if string(at) != sub["status"] {
		t.Errorf("%s: timeline ends at %s, status is %v", sub["externalSubscriptionId"], at, sub["status"])
	}
	if (sub["status"] == "Failed") != (sub["failureReason"] != nil) {
		t.Errorf("%s: status %v with failureReason %v", sub["externalSubscriptionId"], sub["status"], sub["failureReason"])
	}
}
