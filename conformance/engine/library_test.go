package engine_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fakeportal"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// runLibrary runs the whole embedded scenario library against a fake
// portal and returns the results by scenario id.
func runLibrary(t *testing.T, p *fakeportal.Portal) map[string]engine.Result {
	t.Helper()
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := target.Discover(context.Background(), srv.Client(), target.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	r, err := engine.New(tgt, lib, engine.WithContract("gitlab", contract(t)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]engine.Result{}
	for _, sc := range lib.Scenarios {
		out[sc.ID] = r.Run(context.Background(), sc)
	}
	return out
}

// TestLibraryPassesAConformingImplementation guards against scenarios that
// encode one implementation's quirks: an independent fake that follows the
// contract passes every one of them.
func TestLibraryPassesAConformingImplementation(t *testing.T) {
	results := runLibrary(t, fakeportal.New())
	if len(results) < 40 {
		t.Errorf("only %d scenarios; the library must cover reference §10 with at least 40", len(results))
	}
	for id, res := range results {
		if res.Outcome != engine.Pass {
			t.Errorf("%s: %s\n%s", id, res.Outcome, res.Message())
		}
	}
}

// TestLibraryDetectsDefects proves that each deliberate defect makes at
// least the named scenario fail, with a message naming the scenario and
// the requirement it breaks.
func TestLibraryDetectsDefects(t *testing.T) {
	tests := []struct {
		defect   fakeportal.Defect
		scenario string
	}{
		{fakeportal.ScopeErrorIs401, "token-errors/unknown-scope"},
		{fakeportal.NoWWWAuthenticate, "token-errors/wrong-secret"},
		{fakeportal.NoCacheControl, "token-success"},
		{fakeportal.ShortToken, "token-success"},
		{fakeportal.TokenNeverExpires, "token-expiry"},
		{fakeportal.AuthHole, "resource-auth/create-without-token"},
		{fakeportal.ReadOnlyCanCreate, "scope-readonly-cannot-create"},
		{fakeportal.LeakBetweenPartners, "isolation-other-partner-not-found"},
		{fakeportal.OtherPartnerIs403, "isolation-other-partner-not-found"},
		{fakeportal.GlobalExternalIDs, "isolation-same-external-id"},
		{fakeportal.NoSubscriptionNumber, "create-success"},
		{fakeportal.StatusRegresses, "lifecycle-final-stays-final"},
		{fakeportal.UnknownStatus, "lifecycle-provision-on-clock"},
		{fakeportal.EmailOptional, "create-missing-field/customer.contact.email"},
		{fakeportal.ValidationIs400, "create-missing-field/customer"},
		{fakeportal.ReplayIsConflict, "duplicate-identical-replay"},
		{fakeportal.DifferentBodyOverwrite, "duplicate-different-conflict"},
		{fakeportal.ErrorBodyWrongShape, "status-unknown-id-not-found"},
		{fakeportal.ErrorsAsText, "token-errors/missing-grant-type"},
		{fakeportal.UnknownIDIs200, "status-unknown-id-not-found"},
		{fakeportal.NeverProvisions, "lifecycle-poll-until-final"},
		{fakeportal.NoRequestID, "request-id-errors/token-refused"},
	}
	covered := map[fakeportal.Defect]bool{}
	for _, tt := range tests {
		covered[tt.defect] = true
		t.Run(string(tt.defect), func(t *testing.T) {
			results := runLibrary(t, fakeportal.New(fakeportal.WithDefects(tt.defect)))
			res, ok := results[tt.scenario]
			if !ok {
				t.Fatalf("no scenario %s", tt.scenario)
			}
			if res.Outcome != engine.Fail {
				t.Fatalf("%s: outcome %s, want fail", tt.scenario, res.Outcome)
			}
			msg := res.Message()
			if !strings.Contains(msg, "["+tt.scenario+"]") || !strings.Contains(msg, res.Requirement) || len(res.Failures) == 0 {
				t.Errorf("message does not name the scenario and requirement:\n%s", msg)
			}
			t.Logf("%s", msg)
		})
	}
	for _, d := range fakeportal.AllDefects() {
		if !covered[d] {
			t.Errorf("defect %q has no test case", d)
		}
	}
}
