package gitlab_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

func TestProtectedRoutesRejectMissingAndBadTokens(t *testing.T) {
	srv := frozen(t)
	routes := []struct{ method, path string }{
		{http.MethodPost, subsPath},
		{http.MethodGet, subsPath + "/anything"},
	}
	cases := []struct {
		name, authorization, wantDescription string
	}{
		{"no Authorization header", "", "The access token is invalid"},
		{"unknown token", "Bearer 0123456789012345678901234567890123456789abc", "The access token is invalid"},
		{"empty bearer", "Bearer ", "The access token is invalid"},
		{"Basic instead of Bearer", basic("demo-partner", "demo-secret"), "The access token is invalid"},
		{"token without scheme", "abc", "The access token is invalid"},
	}
	for _, route := range routes {
		for _, tc := range cases {
			t.Run(route.method+" "+tc.name, func(t *testing.T) {
				h := map[string]string{"Content-Type": "application/json"}
				if tc.authorization != "" {
					h["Authorization"] = tc.authorization
				}
				r := call(t, route.method, srv.URL+route.path, h, mustJSON(t, order("x")))
				expectError(t, r, http.StatusUnauthorized, "invalid_token")
				if r.json["error_description"] != tc.wantDescription {
					t.Errorf("description %v", r.json["error_description"])
				}
				want := `Bearer realm="Doorkeeper", error="invalid_token"`
				if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			})
		}
	}
}

func TestReadOnlyTokenCannotCreateButCanRead(t *testing.T) {
	srv := frozen(t)
	creator := token(t, srv, "demo-partner", scopeCreate)
	if r := create(t, srv, creator, order("scoped-1")); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	reader := token(t, srv, "demo-partner", scopeRead)
	r := create(t, srv, reader, order("scoped-2"))
	expectError(t, r, http.StatusForbidden, "insufficient_scope")
	if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) || !strings.Contains(got, `scope="marketplace.order:create"`) {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	if r := status(t, srv, reader, "scoped-1"); r.status != http.StatusOK {
		t.Errorf("read token reading status: %d %s", r.status, r.raw)
	}
	if r := status(t, srv, creator, "scoped-1"); r.status != http.StatusOK {
		t.Errorf("create token reading status: %d %s", r.status, r.raw)
	}
	readonlyPartner := token(t, srv, "readonly-partner", scopeRead)
	expectError(t, create(t, srv, readonlyPartner, order("scoped-3")), http.StatusForbidden, "insufficient_scope")
}

func TestStatusScopesSettingCanRequireTheReadScope(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) { c.GitLab.StatusScopes = "read" }))
	creator := token(t, srv, "demo-partner", scopeCreate)
	create(t, srv, creator, order("needs-read"))
	expectError(t, status(t, srv, creator, "needs-read"), http.StatusForbidden, "insufficient_scope")
	if r := status(t, srv, token(t, srv, "demo-partner", scopeRead), "needs-read"); r.status != http.StatusOK {
		t.Errorf("read scope: %d", r.status)
	}
}

func TestPartnersSeeOnlyTheirOwnSubscriptions(t *testing.T) {
	srv := frozen(t)
	demo := token(t, srv, "demo-partner", scopeCreate)
	second := token(t, srv, "second-partner", scopeCreate)
	if r := create(t, srv, demo, order("shared-id")); r.status != http.StatusCreated {
		t.Fatalf("demo create: %d %s", r.status, r.raw)
	}
	r := status(t, srv, second, "shared-id")
	expectError(t, r, http.StatusNotFound, "not_found")
	unknown := status(t, srv, second, "never-existed")
	if unknown.json["error"] != r.json["error"] {
		t.Errorf("another partner's id must look exactly like an unknown one: %s vs %s", r.raw, unknown.raw)
	}

	theirs := order("shared-id")
	theirs["tradingPartnerId"] = "TP-SECOND-001"
	if r := create(t, srv, second, theirs); r.status != http.StatusCreated {
		t.Fatalf("the same external id is free for another partner: %d %s", r.status, r.raw)
	}
	a, b := status(t, srv, demo, "shared-id"), status(t, srv, second, "shared-id")
	if a.json["subscriptionNumber"] == b.json["subscriptionNumber"] {
		t.Errorf("two partners' orders share subscription number %v", a.json["subscriptionNumber"])
	}
	wrongTP := order("tp-of-other")
	wrongTP["tradingPartnerId"] = "TP-SECOND-001"
	r = create(t, srv, demo, wrongTP)
	expectError(t, r, http.StatusUnprocessableEntity, "validation_failed")
	if f := fields(r); len(f) != 1 || f[0] != "tradingPartnerId" {
		t.Errorf("fields %v", f)
	}
}
