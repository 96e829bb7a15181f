package microsoft_test

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// TestSettingsLoadLikeTheOthers: every setting has a usage text, an
// environment variable and a flag through package settings, and a YAML
// file sets them under microsoft:.
func TestSettingsLoadLikeTheOthers(t *testing.T) {
	var cfg struct {
		Microsoft microsoft.Settings `yaml:"microsoft"`
	}
	cfg.Microsoft = microsoft.DefaultSettings()
	list := settings.List(&cfg, "SANDBOX_")
	if len(list) < 12 {
		t.Fatalf("%d settings", len(list))
	}
	for _, s := range list {
		if s.Usage == "" {
			t.Errorf("%+v has no usage", s)
		}
	}
	doc := "microsoft:\n  profile: observed\n  operation_delay: 2s\n  webhook:\n    attempts: 3\n    mode: manual\n"
	if err := settings.DecodeYAML([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Microsoft.Profile != "observed" || cfg.Microsoft.Webhook.Attempts != 3 || cfg.Microsoft.Webhook.Mode != "manual" || cfg.Microsoft.AckWindow.String() != "10s" {
		t.Fatalf("%+v", cfg.Microsoft)
	}
	if err := cfg.Microsoft.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := settings.DecodeYAML([]byte("microsoft:\n  profil: docs\n"), &cfg); err == nil || !strings.Contains(err.Error(), "profile") {
		t.Fatalf("%v", err)
	}
}
