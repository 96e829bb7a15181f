package sandbox_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

const (
	statusPath   = "/api/v1/marketplace/subscriptions/"
	statusRoute  = "/api/v1/marketplace/subscriptions/*"
	scopeBoth    = "marketplace.order:read marketplace.order:create"
	jsonType     = "application/json"
	frozenOrigin = "2030-01-01T00:00:00Z"
)

// send is do with request headers given as name, value pairs.
func send(t *testing.T, method, url, body string, header ...string) answer {
	t.Helper()
	a, err := trySend(method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

func trySend(method, url, body string, header ...string) (answer, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a, err
}

func frozen(t *testing.T, opts ...sandboxtest.Option) *sandboxtest.Server {
	t.Helper()
	start, _ := time.Parse(time.RFC3339, frozenOrigin)
	return sandboxtest.New(t, append([]sandboxtest.Option{sandboxtest.WithFrozenClock(start)}, opts...)...)
}

func token(t *testing.T, srv *sandboxtest.Server, client, secret string) string {
	t.Helper()
	tok, err := srv.Token(client, secret, strings.Fields(scopeBoth)...)
	if err != nil {
		tok, err = srv.Token(client, secret, "marketplace.order:read")
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// addRule posts a rule and expects it stored.
func addRule(t *testing.T, srv *sandboxtest.Server, rule string) map[string]any {
	t.Helper()
	a := send(t, http.MethodPost, srv.URL+"/_sandbox/faults", rule, "Content-Type", jsonType)
	if a.status != http.StatusCreated {
		t.Fatalf("adding %s: %d %s", rule, a.status, a.raw)
	}
	return a.body
}

func getStatus(t *testing.T, srv *sandboxtest.Server, tok, id string) answer {
	t.Helper()
	return send(t, http.MethodGet, srv.URL+statusPath+id, "", "Authorization", "Bearer "+tok)
}

func TestStatusFaultsAnswerInThePortalEnvelope(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", "demo-secret")
	cases := []struct {
		name, effect          string
		wantStatus            int
		wantCode, wantRetry   string
		wantDescriptionPrefix string
	}{
		{"503 with the default Retry-After", `{"status":503}`, 503, "service_unavailable", "1", "The service is temporarily unavailable"},
		{"429 with its own Retry-After", `{"status":429,"retryAfter":"30s"}`, 429, "rate_limited", "30", "Too many requests"},
		{"Retry-After rounds up", `{"status":502,"retryAfter":"1500ms"}`, 502, "bad_gateway", "2", "The server received"},
		{"message replaces the description", `{"status":401,"message":"Token store is down."}`, 401, "unauthorized", "", "Token store is down."},
		{"408", `{"status":408}`, 408, "request_timeout", "", "The server timed out"},
		{"422 from the portal's own codes", `{"status":422}`, 422, "validation_failed", "", "Injected fault"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
			addRule(t, srv, `{"api":"gitlab","match":{"method":"GET","path":"`+statusRoute+`"},"effect":`+tc.effect+`}`)
			a := getStatus(t, srv, tok, "order-1")
			if a.status != tc.wantStatus || a.body["error"] != tc.wantCode || a.body["request_id"] != a.header.Get("X-Request-Id") {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if !strings.HasPrefix(a.body["error_description"].(string), tc.wantDescriptionPrefix) {
				t.Errorf("description %q", a.body["error_description"])
			}
			if got := a.header.Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tc.wantRetry)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestLatencyDelaysTheRealAnswer(t *testing.T) {
	srv := frozen(t)
	tok := token(t, srv, "demo-partner", "demo-secret")
	cases := []struct {
		name, latency string
		low, high     time.Duration
	}{
		{"fixed", `{"fixed":"40ms"}`, 40 * time.Millisecond, 40 * time.Millisecond},
		{"uniform", `{"uniform":{"min":"20ms","max":"60ms"}}`, 20 * time.Millisecond, 60 * time.Millisecond},
		{"log-normal", `{"logNormal":{"median":"30ms","sigma":0.1}}`, 20 * time.Millisecond, 45 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
			addRule(t, srv, `{"match":{"path":"`+statusRoute+`"},"effect":{"latency":`+tc.latency+`}}`)
			for range 3 {
				start := time.Now()
				a := getStatus(t, srv, tok, "unknown")
				took := time.Since(start)
				if a.status != http.StatusNotFound {
					t.Fatalf("the real answer should follow the delay: %d %s", a.status, a.raw)
				}
				if took < tc.low || took > tc.high+500*time.Millisecond {
					t.Errorf("took %v, want %v to %v", took, tc.low, tc.high)
				}
			}
		})
	}
}

func TestTransportFaults(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.FaultMaxHang = 5 * time.Second }))
	tok := token(t, srv, "demo-partner", "demo-secret")
	cases := []struct {
		transport string
		check     func(t *testing.T, a answer, err error)
	}{
		{"reset", func(t *testing.T, _ answer, err error) {
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("want a connection reset, got %v", err)
			}
		}},
		{"empty", func(t *testing.T, _ answer, err error) {
			if err == nil || !errors.Is(err, io.EOF) {
				t.Errorf("want EOF, got %v", err)
			}
		}},
		{"malformed", func(t *testing.T, a answer, err error) {
			if err != nil || a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), jsonType) || json.Valid([]byte(a.raw)) {
				t.Errorf("want 200 JSON that is not JSON: %v %d %q", err, a.status, a.raw)
			}
		}},
		{"truncated", func(t *testing.T, a answer, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || a.status != http.StatusNotFound || len(a.raw) == 0 {
				t.Errorf("want half a 404 and an unexpected EOF: %v %d %q", err, a.status, a.raw)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.transport, func(t *testing.T) {
			send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
			addRule(t, srv, `{"match":{"path":"`+statusRoute+`"},"effect":{"transport":"`+tc.transport+`"}}`)
			a, err := trySend(http.MethodGet, srv.URL+statusPath+"x", "", "Authorization", "Bearer "+tok)
			tc.check(t, a, err)
		})
	}
	t.Run("hang", func(t *testing.T) {
		send(t, http.MethodDelete, srv.URL+"/_sandbox/faults", "")
		addRule(t, srv, `{"match":{"path":"`+statusRoute+`"},"effect":{"transport":"hang"}}`)
		client := &http.Client{Timeout: 150 * time.Millisecond}
		start := time.Now()
		_, err := client.Get(srv.URL + statusPath + "x")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 2*time.Second {
			t.Errorf("want a client timeout, got %v after %v", err, time.Since(start))
		}
	})
}

func TestControlAPIIsNeverFaulted(t *testing.T) {
	srv := frozen(t)
	addRule(t, srv, `{"match":{"path":"/**"},"effect":{"status":503}}`)
	if a := send(t, http.MethodGet, srv.URL+"/_sandbox/health", ""); a.status != 200 {
		t.Errorf("health: %d", a.status)
	}
	if a := send(t, http.MethodGet, srv.URL+"/api/v1/nope", ""); a.status != 503 {
		t.Errorf("an unknown marketplace path is faulted like any other: %d", a.status)
	}
}

func TestClosingReleasesHungRequests(t *testing.T) {
	srv, err := sandboxtest.Start(sandboxtest.WithConfig(func(c *sandbox.Config) { c.FaultMaxHang = time.Hour }))
	if err != nil {
		t.Fatal(err)
	}
	addRule(t, srv, `{"match":{},"effect":{"transport":"hang"}}`)
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/oauth/token")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		a := send(t, http.MethodGet, srv.URL+"/_sandbox/faults", "")
		if strings.Contains(a.raw, `"matches":1`) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	srv.Close()
	select {
	case err := <-answered:
		if err == nil || time.Since(start) > 2*time.Second {
			t.Errorf("hung request ended with %v after %v", err, time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the sandbox left the request hanging")
	}
}
