package engine_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fakeportal"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/target"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// runLibrary runs the whole embedded scenario library against a fake
// portal and returns the results by scenario id.
func runLibrary(t *testing.T, p *fakeportal.Portal, opts ...engine.Option) map[string]engine.Result {
	t.Helper()
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	lib, err := scenario.Load(scenarios.FS, "scenarios")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := target.Discover(context.Background(), srv.Client(), fakeConfig(srv.URL, p))
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	r, err := engine.New(tgt, lib, append([]engine.Option{engine.WithContract("gitlab", contract(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]engine.Result{}
	for _, sc := range lib.Scenarios {
		if sc.API == scenario.APIGitLab { // the fake is a GitLab portal
			out[sc.ID] = r.Run(context.Background(), sc)
		}
	}
	return out
}

// fakeConfig describes the fake as a partner would describe a real portal,
// so that a fake without a control API can be tested; capabilities are
// left to discovery.
func fakeConfig(url string, p *fakeportal.Portal) target.Config {
	names := []string{"create", "readonly", "second"}
	creds := map[string]target.Credential{}
	for i, fp := range p.Partners() {
		creds[names[i]] = target.Credential{ClientID: fp.ClientID, ClientSecret: fp.ClientSecret,
			Scope: strings.Join(fp.Scopes, " "), TradingPartnerID: fp.TradingPartnerID}
	}
	return target.Config{URL: url, ProductID: fakeportal.ProductID, Credentials: creds}
}

// TestLibraryPassesAConformingImplementation guards against scenarios that
// encode one implementation's quirks: an independent fake that follows the
// contract passes every one of them. The fake has a clock and reset but
// neither fault injection nor back-office scripts, so the scenarios that
// need those are skipped, and nothing else is.
func TestLibraryPassesAConformingImplementation(t *testing.T) {
	results := runLibrary(t, fakeportal.New())
	if len(results) < 40 {
		t.Errorf("only %d scenarios; the library must cover docs/gitlab.md §10 with at least 40", len(results))
	}
	for id, res := range results {
		sandboxOnly := slices.ContainsFunc(res.Labels, func(l string) bool {
			return l == "cap:faults" || l == "cap:scripts" || l == "cap:magic"
		})
		if res.Outcome != engine.Pass && !(sandboxOnly && res.Outcome == engine.Skip) {
			t.Errorf("%s: %s\n%s", id, res.Outcome, res.Message())
		}
	}
}

// TestLibrarySkipsWhatATargetCannotDo runs the library against a target
// without a control API, as a real portal is: every scenario that needs
// one is skipped with the reason, none fails, and the others run. (The
// fake's clock moves only through its control API, so without it nothing
// is ever provisioned: polls wait without sleeping and the scenario that
// polls until final is the one allowed to fail.)
func TestLibrarySkipsWhatATargetCannotDo(t *testing.T) {
	noSleep := engine.WithWait(func(context.Context, time.Duration) error { return nil })
	results := runLibrary(t, fakeportal.New(fakeportal.WithoutControl()), noSleep)
	skipped := 0
	for id, res := range results {
		needsSandbox := slices.ContainsFunc(res.Labels, func(l string) bool { return strings.HasPrefix(l, "cap:") })
		switch {
		case needsSandbox && (res.Outcome != engine.Skip || !strings.Contains(res.Reason, "target lacks capability")):
			t.Errorf("%s: %s (%s), want skip", id, res.Outcome, res.Reason)
		case needsSandbox:
			skipped++
		case res.Outcome != engine.Pass && id != "lifecycle-poll-until-final":
			t.Errorf("%s: %s\n%s", id, res.Outcome, res.Message())
		}
	}
	if skipped == 0 {
		t.Error("no scenario was skipped; the library has none that needs the sandbox")
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
