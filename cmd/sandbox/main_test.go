package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listening = regexp.MustCompile(`URL on this host: +(https?://\S+)`)

// start runs the sandbox command on a free port and returns its URL and a
// function that stops it and returns run's error.
func start(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	s := startServer(t, env, args...)
	return s.url, s.stdout, s.stop
}

// started is a sandbox command running in the test.
type started struct {
	url            string
	stdout, stderr *syncBuffer
	// stop cancels run's context and returns run's error.
	stop func() error
}

func startServer(t *testing.T, env map[string]string, args ...string) started {
	t.Helper()
	return startServerAt(t, "127.0.0.1:0", env, args...)
}

// startServerAt is startServer listening on addr.
func startServerAt(t *testing.T, addr string, env map[string]string, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", addr}, args...), settings.Environment(env), stdout, stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			return started{m[1], stdout, stderr, func() error { cancel(); return <-done }}
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run ended early: %v\nstderr: %s", err, stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("no banner within 10s; stdout %q stderr %q", stdout, stderr)
	return started{}
}

func TestServePrintsCredentialsAnswersAndShutsDownGracefully(t *testing.T) {
	url, stdout, stop := start(t, nil)
	for _, want := range []string{"demo-partner / demo-secret", "readonly-partner / readonly-secret", "second-partner / second-secret", "clock: real",
		"Microsoft SaaS Fulfillment API v2: " + url + "/api/saas/subscriptions",
		"contoso: 72f988bf-0000-4000-8000-00000000c0de / 5a1e7c3d-2b4f-4e6a-9c8d-0000000c0150 / contoso-sandbox-secret"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, stdout)
		}
	}
	waitHealthy(t, url)
	addr := strings.TrimPrefix(url, "http://")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--addr", addr}, settings.Environment{}, &out, io.Discard); err != nil {
		t.Errorf("healthcheck: %v", err)
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := run(context.Background(), []string{"healthcheck", "--addr", addr}, settings.Environment{}, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck passed against a stopped sandbox")
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/_sandbox/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("not healthy within 5s")
}

func TestConfigurationFromFileEnvironmentAndFlags(t *testing.T) {
	dir := t.TempDir()
	fixtures := filepath.Join(dir, "fixtures.yaml")
	os.WriteFile(fixtures, []byte(`gitlab:
  partners:
    - {id: acme, name: Acme, client_id: acme-client, client_secret: acme-secret, scopes: ['marketplace.order:read'], trading_partner_ids: [TP-ACME]}
  products:
    - {id: P1, name: Product one, kind: plan, deployment: saas}
`), 0o600)
	config := filepath.Join(dir, "config.yaml")
	os.WriteFile(config, []byte("clock: real\ngitlab:\n  token_lifetime: 60s\n"), 0o600)
	url, stdout, stop := start(t, map[string]string{"SANDBOX_FIXTURES": fixtures, "SANDBOX_CONFIG": config}, "--clock", "frozen")
	defer stop()
	if !strings.Contains(stdout.String(), "acme-client / acme-secret") || strings.Contains(stdout.String(), "demo-partner") {
		t.Errorf("fixtures file not used:\n%s", stdout)
	}
	if !strings.Contains(stdout.String(), "clock: frozen") {
		t.Errorf("the flag must win over the file:\n%s", stdout)
	}
	resp, err := http.PostForm(url+"/oauth/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {"acme-client"}, "client_secret": {"acme-secret"}, "scope": {"marketplace.order:read"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"expires_in":60`) {
		t.Errorf("token lifetime from the file not applied: %s", body)
	}
}

func TestBadConfigurationIsRefusedBeforeListening(t *testing.T) {
	dir := t.TempDir()
	badFixtures := filepath.Join(dir, "f.yaml")
	os.WriteFile(badFixtures, []byte("gitlab:\n  partners:\n    - {id: x, client_id: '', client_secret: s, scopes: [admin]}\n"), 0o600)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown clock", []string{"--clock", "sideways"}, "clock"},
		{"bad lifetime", []string{"--gitlab-token-lifetime", "forever"}, "token_lifetime"},
		{"unknown profile", []string{"--gitlab-token-profile", "oauth1"}, "token_profile"},
		{"too many callout attempts", []string{"--gitlab-zuora-callout-attempts", "9"}, "callout_attempts"},
		{"stray argument", []string{"--clock", "frozen", "extra"}, "unexpected argument"},
		{"invalid fixtures", []string{"--fixtures", badFixtures}, "client_id is required"},
		{"missing fixtures", []string{"--fixtures", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"address in use", []string{"--addr", "256.0.0.1:1"}, "listening"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tc.args, settings.Environment{}, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestSettingsTableListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"settings"}, settings.Environment{}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`SANDBOX_ADDR`", "`--gitlab-token-lifetime`", "`gitlab.zuora.callout_delay`", "`2s`"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %s", want)
		}
	}
}

// TestReadmeDocumentsEverySetting keeps the README's configuration table
// in step with the Config struct.
func TestReadmeDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := printSettings(&table); err != nil {
		t.Fatal(err)
	}
	for _, row := range strings.Split(strings.TrimSpace(table.String()), "\n")[2:] {
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the settings row (run `sandbox settings`):\n%s", row)
		}
	}
}

// TestBannerNamesOnlyTheMarketplacesServed: with marketplaces: gitlab the
// Microsoft section (and its routes) are gone.
func TestBannerNamesOnlyTheMarketplacesServed(t *testing.T) {
	url, stdout, stop := start(t, nil, "--marketplaces", "gitlab")
	defer func() { _ = stop() }()
	if strings.Contains(stdout.String(), "Microsoft") || !strings.Contains(stdout.String(), "GitLab Marketplace API") {
		t.Errorf("banner:\n%s", stdout)
	}
	waitHealthy(t, url)
	resp, err := http.Get(url + "/api/saas/subscriptions?api-version=2018-08-31")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "this sandbox serves gitlab") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
