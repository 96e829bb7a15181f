package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// seen is what a client observed for one request, keyed by the
// X-Request-Id it sent.
type seen struct {
	status int
	failed bool // the transport broke (reset, empty, truncated body)
}

// freshConnections dials for every request: on a kept-alive connection
// net/http silently retries a GET that was reset or answered with nothing,
// and the journal would hold two entries for one client request.
var freshConnections = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

type observations struct {
	next atomic.Int64
	mu   sync.Mutex
	all  map[string]seen
}

func (o *observations) send(method, path, body string, header ...string) (int, string) {
	rid := fmt.Sprintf("client-%d", o.next.Add(1))
	req, _ := http.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-Request-Id", rid)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	s := seen{}
	var raw []byte
	resp, err := freshConnections.Do(req)
	if err == nil {
		s.status = resp.StatusCode
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	s.failed = err != nil
	o.mu.Lock()
	o.all[rid] = s
	o.mu.Unlock()
	return s.status, string(raw)
}

// TestFaultsUnderConcurrentLoad hammers the sandbox from several clients
// while a third of the requests are faulted, then checks that the store
// and the journal agree with what the clients saw.
func TestFaultsUnderConcurrentLoad(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.FaultSeed = 3 }))
	for _, rule := range []string{
		`{"id":"tokens","match":{"path":"/oauth/token"},"effect":{"status":503},"schedule":{"probability":0.3}}`,
		`{"id":"cut-create","match":{"method":"POST","path":"/api/v1/marketplace/subscriptions"},"effect":{"transport":"truncated"},"schedule":{"probability":0.3}}`,
		`{"id":"reset-create","match":{"method":"POST","path":"/api/v1/marketplace/subscriptions"},"effect":{"transport":"reset"},"schedule":{"probability":0.3}}`,
		`{"id":"slow-status","match":{"path":"` + statusRoute + `"},"effect":{"latency":{"uniform":{"min":"0s","max":"2ms"}}},"schedule":{"probability":0.3}}`,
		`{"id":"empty-status","match":{"path":"` + statusRoute + `"},"effect":{"transport":"empty"},"schedule":{"probability":0.3}}`,
	} {
		addRule(t, srv, rule)
	}
	obs := &observations{all: map[string]seen{}}
	var created sync.Map
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client(obs, srv.URL, w, &created)
		}()
	}
	wg.Wait()
	checkJournal(t, srv, obs)
	created.Range(func(k, _ any) bool {
		a := send(t, http.MethodGet, srv.URL+"/_sandbox/gitlab/subscriptions?externalSubscriptionId="+k.(string), "")
		if subs, _ := a.body["subscriptions"].([]any); len(subs) != 1 {
			t.Errorf("the client saw 201 for %s but the store has %s", k, a.raw)
		}
		return true
	})
}

// client is one partner integration: a token, then creates and reads.
func client(obs *observations, base string, worker int, created *sync.Map) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-partner"}, "client_secret": {"demo-secret"}, "scope": {scopeBoth}}.Encode()
	var tok string
	for i := range 25 {
		if tok == "" || i%5 == 0 {
			status, raw := obs.send(http.MethodPost, base+"/oauth/token", form, "Content-Type", formType)
			if status == 200 {
				tok = strings.Split(strings.Split(raw, `"access_token":"`)[1], `"`)[0]
			}
			if tok == "" {
				continue
			}
		}
		id := fmt.Sprintf("race-%d-%d", worker, i)
		if status, _ := obs.send(http.MethodPost, base+"/api/v1/marketplace/subscriptions", order(id), "Content-Type", jsonType, "Authorization", "Bearer "+tok); status == 201 {
			created.Store(id, true)
		}
		obs.send(http.MethodGet, base+statusPath+id, "", "Authorization", "Bearer "+tok)
	}
}

func checkJournal(t *testing.T, srv *sandboxtest.Server, obs *observations) {
	t.Helper()
	list := entries(journalOf(t, srv, "?limit=1000"))
	if len(list) != len(obs.all) {
		t.Errorf("%d journal entries for %d requests", len(list), len(obs.all))
	}
	var last float64
	for _, e := range list {
		id := e["id"].(float64)
		if id <= last {
			t.Errorf("journal ids not increasing: %v after %v", id, last)
		}
		last = id
		status := int(e["status"].(float64))
		fault, _ := e["fault"].(map[string]any)
		effect, _ := fault["effect"].(string)
		o, ok := obs.all[e["requestId"].(string)]
		switch {
		case !ok:
			t.Errorf("entry %v for a request no client sent", e["requestId"])
		case o.failed && !strings.Contains(effect, "reset") && !strings.Contains(effect, "empty") && !strings.Contains(effect, "truncated"):
			t.Errorf("client's transport broke without a transport fault: %v", e)
		case !o.failed && o.status != status:
			t.Errorf("client saw %d, journal says %d: %v", o.status, status, e)
		case status >= 500 && fault == nil:
			t.Errorf("unfaulted 5xx: %v", e)
		}
	}
	faulted := len(entries(journalOf(t, srv, "?limit=1000&status=5xx&fault=tokens")))
	if faulted == 0 || faulted != len(entries(journalOf(t, srv, "?limit=1000&status=5xx"))) {
		t.Errorf("%d faulted 5xx; every 5xx must be one", faulted)
	}
}
