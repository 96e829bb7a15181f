package target_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fakeportal"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
)

func TestParseConfigRejectsUnknownKeys(t *testing.T) {
	_, err := target.ParseConfig([]byte("target: http://x\nprodutId: p\n"))
	if err == nil || !strings.Contains(err.Error(), "produtId") {
		t.Errorf("err = %v", err)
	}
}

func TestResolveListsEverythingMissing(t *testing.T) {
	_, err := target.Config{URL: "http://x"}.Resolve()
	for _, want := range []string{"credentials.create", "credentials.readonly", "credentials.second", "productId", "credentials.second.tradingPartnerId"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
	if _, err := (target.Config{URL: "ftp://x"}).Resolve(); err == nil {
		t.Error("ftp URL accepted")
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"CONFORMANCE_TARGET": "http://env", "CONFORMANCE_SECOND_CLIENT_ID": "b", "CONFORMANCE_CAPABILITIES": "control, faults",
	}
	c, err := target.Config{URL: "http://file", Credentials: map[string]target.Credential{"second": {ClientID: "a", ClientSecret: "s"}}}.
		ApplyEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "http://env" || c.Credentials["second"].ClientID != "b" || c.Credentials["second"].ClientSecret != "s" ||
		strings.Join(c.Capabilities, "|") != "control|faults" {
		t.Errorf("config = %+v", c)
	}
	none, err := target.Config{}.ApplyEnv(func(k string) string { return map[string]string{"CONFORMANCE_CAPABILITIES": "none"}[k] })
	if err != nil || none.Capabilities == nil || len(none.Capabilities) != 0 {
		t.Errorf("none: %#v", none.Capabilities)
	}
}

func TestDiscoverFindsCredentialsAndControl(t *testing.T) {
	srv := httptest.NewServer(fakeportal.New().Handler())
	defer srv.Close()
	c, err := target.Discover(context.Background(), srv.Client(), target.Config{URL: srv.URL,
		Credentials: map[string]target.Credential{"second": {ClientID: "mine"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Credentials["create"].ClientID != "fake-create" || c.Credentials["readonly"].ClientID != "fake-read" ||
		c.Credentials["second"].ClientID != "mine" || c.ProductID != fakeportal.ProductID || len(c.Capabilities) != 1 {
		t.Errorf("discovered %+v", c)
	}
	plain := httptest.NewServer(fakeportal.New(fakeportal.WithoutControl()).Handler())
	defer plain.Close()
	c, err = target.Discover(context.Background(), plain.Client(), target.Config{URL: plain.URL})
	if err != nil || len(c.Capabilities) != 0 || len(c.Credentials) != 0 {
		t.Errorf("without control: %+v %v", c, err)
	}
}

func TestWaitReady(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	var ready atomic.Bool
	srv := &http.Server{Addr: l.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_sandbox/health" && !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})}
	time.AfterFunc(300*time.Millisecond, func() { go func() { _ = srv.ListenAndServe() }() })
	time.AfterFunc(600*time.Millisecond, func() { ready.Store(true) })
	defer srv.Close()
	start := time.Now()
	if err := target.WaitReady(context.Background(), http.DefaultClient, url, 5*time.Second, time.Second); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 600*time.Millisecond {
		t.Errorf("returned after %s, before the target was ready", waited)
	}
	if err := target.WaitReady(context.Background(), http.DefaultClient, "http://127.0.0.1:1", 0, time.Second); err == nil {
		t.Error("a closed port is ready")
	}
}

// TestDiscoverFindsTheSandboxFeatures: fault injection, scripts and magic values are
// found on the control API, and each credential learns its partner id.
func TestDiscoverFindsTheSandboxFeatures(t *testing.T) {
	for magic, want := range map[bool]string{true: "control,faults,scripts,magic", false: "control,faults,scripts"} {
		t.Run(fmt.Sprintf("magic values %v", magic), func(t *testing.T) { discoverSandboxFeatures(t, magic, want) })
	}
}

func discoverSandboxFeatures(t *testing.T, magic bool, want string) {
	fake := fakeportal.New().Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_sandbox/faults", "/_sandbox/gitlab/scripts":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		case "/_sandbox/gitlab/magic":
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"enabled":%v}`, magic)
		case "/_sandbox/gitlab/fixtures":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"partners":[{"id":"p-1","clientId":"c1","clientSecret":"s1","scopes":["marketplace.order:read","marketplace.order:create"],"tradingPartnerIds":["TP1"]}],"products":[{"id":"x"}]}`))
		default:
			fake.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	c, err := target.Discover(context.Background(), srv.Client(), target.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Capabilities, ","); got != want {
		t.Errorf("capabilities %s", got)
	}
	if c.Credentials["create"].PartnerID != "p-1" {
		t.Errorf("create credential %+v", c.Credentials["create"])
	}
}
