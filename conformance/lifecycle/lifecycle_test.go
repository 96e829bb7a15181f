package lifecycle_test

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/lifecycle"
)

func TestTrace(t *testing.T) {
	tests := []struct {
		name    string
		states  []string
		wantErr string // substring of the error on the last state; "" = allowed
	}{
		{"happy path", []string{"Creating", "Created", "Created", "Provisioned", "Provisioned"}, ""},
		{"starts anywhere", []string{"Created", "Provisioned"}, ""},
		{"fails while creating", []string{"Creating", "Failed"}, ""},
		{"fails after created", []string{"Created", "Failed"}, ""},
		{"unknown status", []string{"Created", "Active"}, `status "Active" is not one of Created, Creating, Failed, Provisioned`},
		{"goes back", []string{"Created", "Creating"}, "moved Created → Creating"},
		{"skips Created", []string{"Creating", "Provisioned"}, "moved Creating → Provisioned"},
		{"leaves Provisioned", []string{"Created", "Provisioned", "Created"}, "left final state Provisioned for Created"},
		{"leaves Failed", []string{"Creating", "Failed", "Provisioned"}, "left final state Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := lifecycle.NewTrace(lifecycle.GitLabSubscription())
			var err error
			for i, s := range tt.states {
				err = tr.Observe(s)
				if err != nil && i < len(tt.states)-1 {
					t.Fatalf("early error at %s: %v", s, err)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTraceString(t *testing.T) {
	tr := lifecycle.NewTrace(lifecycle.GitLabSubscription())
	for _, s := range []string{"Created", "Created", "Created", "Provisioned"} {
		_ = tr.Observe(s)
	}
	if got := tr.String(); got != "Created ×3 → Provisioned" {
		t.Errorf("String() = %q", got)
	}
}
