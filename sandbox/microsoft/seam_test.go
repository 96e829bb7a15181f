package microsoft

import (
	"encoding/base64"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
)

func defaultFixtures() fixtures.Microsoft { return fixtures.Default().Microsoft }

// TestSeam: what the sandbox asks of a marketplace.
func TestSeam(t *testing.T) {
	m, err := New(DefaultSettings(), defaultFixtures(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "microsoft" || !slices.Equal(m.RequestIDHeaders(), []string{"X-Ms-Requestid"}) || !slices.Equal(m.CorrelationHeaders(), []string{"X-Ms-Correlationid"}) {
		t.Fatal(m.Name(), m.RequestIDHeaders())
	}
	for path, owned := range map[string]bool{"/api/saas/subscriptions": true, "/api/saas/x/y": true, "/api/v1/marketplace/subscriptions": false, "/_sandbox/microsoft/fixtures": false} {
		if m.Owns(httptest.NewRequest("GET", path, nil)) != owned {
			t.Errorf("Owns(%s) != %v", path, owned)
		}
	}
	pubs, clients := m.Identities()
	if !slices.Equal(pubs, []string{"contoso", "fabrikam"}) || len(clients) != 2 {
		t.Fatal(pubs, clients)
	}
	if s := m.Secrets(); !slices.Contains(s.Fixed, "contoso-sandbox-secret") {
		t.Fatal(s.Fixed)
	}
	p := defaultFixtures().Publishers[0]
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"tid":"` + p.TenantID + `","azp":"` + p.ClientID + `"}`))
	r := httptest.NewRequest("GET", "/api/saas/subscriptions", nil)
	r.Header.Set("Authorization", "Bearer e30."+claims+".sig")
	if pub, client := m.Identify(r); pub != "contoso" || client != p.ClientID {
		t.Fatal(pub, client)
	}
	if pub, _ := m.Identify(httptest.NewRequest("POST", "/"+p.TenantID+"/oauth2/token", nil)); pub != "contoso" {
		t.Fatal(pub)
	}
	if pub, client := m.Identify(httptest.NewRequest("GET", "/api/saas/subscriptions", nil)); pub != "" || client != "" {
		t.Fatal(pub, client)
	}
	w := httptest.NewRecorder()
	m.MethodNotAllowed(w, httptest.NewRequest("PUT", "/api/saas/subscriptions", nil))
	if w.Code != 405 {
		t.Fatal(w.Code)
	}
}

// TestSettingsValidate reports every setting out of range at once.
func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.Profile, s.PageSize, s.AckWindow, s.Webhook.Attempts, s.PurchaseTokenLifetime = "live", 0, 48*time.Hour, 0, 0
	err := s.Validate()
	for _, want := range []string{"microsoft.profile", "microsoft.page_size", "microsoft.ack_window", "microsoft.webhook.attempts", "microsoft.purchase_token_lifetime"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
	if _, err := New(s, defaultFixtures(), nil); err == nil {
		t.Fatal("New accepted bad settings")
	}
}
