package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/metrics"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// scraped is one scrape of GET /_sandbox/metrics, parsed by Prometheus'
// own text parser.
type scraped map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, base string) scraped {
	t.Helper()
	resp, err := http.Get(base + "/_sandbox/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("GET /_sandbox/metrics: %d %s", resp.StatusCode, ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// get is the value of the series of family with exactly these labels
// (a histogram's: its count), and -1 when there is none.
func (s scraped) get(family string, labelPairs ...string) float64 {
	for _, m := range s[family].GetMetric() {
		if !hasLabels(m, labelPairs) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	if len(m.GetLabel())*2 != len(pairs) {
		return false
	}
	for _, l := range m.GetLabel() {
		found := false
		for i := 0; i+1 < len(pairs); i += 2 {
			found = found || pairs[i] == l.GetName() && pairs[i+1] == l.GetValue()
		}
		if !found {
			return false
		}
	}
	return true
}

// series is one expected value.
type series struct {
	family string
	labels []string
	want   float64
}

func (s scraped) expect(t *testing.T, want []series) {
	t.Helper()
	for _, w := range want {
		if got := s.get(w.family, w.labels...); got != w.want {
			t.Errorf("%s%v = %v, want %v", w.family, w.labels, got, w.want)
		}
	}
}

func TestMetricsAfterTraffic(t *testing.T) {
	srv := frozen(t, sandboxtest.WithConfig(func(c *sandbox.Config) {
		c.Microsoft.Webhook.Attempts, c.Microsoft.Webhook.RetryInterval = 3, time.Minute
	}))
	const orders = "/api/v1/marketplace/subscriptions"
	gitlab := func(route, method, status string) []string {
		return []string{"marketplace", "gitlab", "route", route, "method", method, "status", status}
	}
	deliveries := func(market, kind, outcome string) []string {
		return []string{"marketplace", market, "kind", kind, "outcome", outcome}
	}
	held := func(market, kind string) []string { return []string{"marketplace", market, "kind", kind} }

	t.Run("before any traffic every family is there", func(t *testing.T) {
		s := scrapeMetrics(t, srv.URL)
		for _, f := range metrics.Families() {
			if _, ok := s[f.Name]; !ok && f.Name != metrics.Requests && f.Name != metrics.RequestDuration && f.Name != metrics.FaultsFired {
				t.Errorf("no %s", f.Name)
			}
		}
		s.expect(t, []series{
			{metrics.RecordsHeld, held("gitlab", "orders"), 0},
			{metrics.RecordsEvicted, held("microsoft", "subscriptions"), 0},
			{metrics.OutboundDeliveries, deliveries("gitlab", "callout", "delivered"), 0},
			{metrics.SessionsOpen, nil, 0},
		})
	})

	tok := token(t, srv, "demo-partner", "demo-secret")
	if a := call(t, http.MethodPost, srv.URL+orders, tok, gitlabOrder("m-1", "TP-DEMO-001")); a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	addRule(t, srv, `{"id":"flaky","api":"gitlab","match":{"method":"GET","path":"`+statusRoute+`"},"effect":{"status":503},"schedule":{"times":1}}`)
	if a := getStatus(t, srv, tok, "m-1"); a.status != http.StatusServiceUnavailable {
		t.Fatalf("the faulted read: %d %s", a.status, a.raw)
	}
	if a := send(t, http.MethodGet, srv.URL+"/api/v1/nowhere", ""); a.status != http.StatusNotFound {
		t.Fatalf("an unrouted path: %d", a.status)
	}
	srv.Advance(time.Hour) // Zuora's callouts, delivered to the portal

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	suspendVia(t, srv, failing.URL+"/hook")
	srv.Advance(2 * time.Second) // the webhook's first attempt fails; a retry is due in a minute

	s := scrapeMetrics(t, srv.URL)
	callouts := s.get(metrics.OutboundDeliveries, deliveries("gitlab", "callout", "delivered")...)
	if callouts < 1 {
		t.Fatalf("no callout delivered")
	}
	clock := call(t, http.MethodGet, srv.URL+"/_sandbox/clock", "", nil)
	journal := call(t, http.MethodGet, srv.URL+"/_sandbox/journal?limit=1", "", nil)
	s.expect(t, []series{
		{metrics.Requests, gitlab(orders, "POST", "201"), 1},
		{metrics.Requests, gitlab(orders+"/{external_subscription_id}", "GET", "503"), 1},
		{metrics.Requests, gitlab("unmatched", "GET", "404"), 1},
		{metrics.Requests, gitlab("/zuora/callouts", "POST", "200"), callouts},
		{metrics.FaultsFired, []string{"marketplace", "gitlab", "rule", "flaky", "effect", "status 503"}, 1},
		{metrics.OutboundDeliveries, deliveries("microsoft", "webhook", "retrying"), 1},
		{metrics.OutboundDeliveries, deliveries("microsoft", "webhook", "delivered"), 0},
		{metrics.OutboundDeliveries, deliveries("microsoft", "webhook", "abandoned"), 0},
		{metrics.RecordsHeld, held("gitlab", "orders"), 1},
		{metrics.RecordsHeld, held("gitlab", "tokens"), 1},
		{metrics.RecordsHeld, held("microsoft", "subscriptions"), 1},
		{metrics.ClockJobsPending, nil, float64(len(clock.body["pending"].([]any)))},
		{metrics.JournalEntries, nil, journal.body["total"].(float64)},
		{metrics.JournalDropped, nil, 0},
	})
	if s.get(metrics.RecordsHeld, held("microsoft", "operations")...) < 1 {
		t.Errorf("the suspension's operation is not counted")
	}
	if s.get(metrics.ClockJobsPending, nil...) < 1 {
		t.Errorf("the webhook's retry is not pending")
	}
	if n := s.get(metrics.RequestDuration, "marketplace", "gitlab"); n < 3+callouts {
		t.Errorf("gitlab durations: %v observations", n)
	}

	t.Run("a reset empties the gauges and keeps the counters", func(t *testing.T) {
		if a := call(t, http.MethodPost, srv.URL+"/_sandbox/reset", "", nil); a.status != http.StatusOK {
			t.Fatalf("reset: %d", a.status)
		}
		after := scrapeMetrics(t, srv.URL)
		after.expect(t, []series{
			{metrics.RecordsHeld, held("gitlab", "orders"), 0},
			{metrics.ClockJobsPending, nil, 0},
			{metrics.JournalEntries, nil, 0},
			{metrics.JournalDropped, nil, journal.body["total"].(float64)},
			{metrics.OutboundDeliveries, deliveries("microsoft", "webhook", "retrying"), 1},
			{metrics.Requests, gitlab(orders, "POST", "201"), 1},
			{metrics.Requests, []string{"marketplace", "control", "route", "/_sandbox/reset", "method", "POST", "status", "200"}, 1},
		})
	})
}

// TestSessionsReportIntoTheirOpenersMetrics: a session's traffic is
// counted in the sandbox's series, what it holds is summed while it is
// open, and what it counted stays once it ends.
func TestSessionsReportIntoTheirOpenersMetrics(t *testing.T) {
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	created := []string{"marketplace", "gitlab", "route", "/api/v1/marketplace/subscriptions", "method", "POST", "status", "201"}
	orders := []string{"marketplace", "gitlab", "kind", "orders"}
	sess := openSession(t, srv.URL, map[string]any{"api": "gitlab", "clock": "frozen"})
	tok := gitlabSessionToken(t, srv.URL, sess)
	if a := call(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", tok, gitlabOrder("s-1", str(sess, "credentials", "tradingPartnerId"))); a.status != http.StatusCreated {
		t.Fatalf("create in the session: %d %s", a.status, a.raw)
	}
	demo := token(t, srv, "demo-partner", "demo-secret")
	if a := call(t, http.MethodPost, srv.URL+"/api/v1/marketplace/subscriptions", demo, gitlabOrder("d-1", "TP-DEMO-001")); a.status != http.StatusCreated {
		t.Fatalf("create in the default workspace: %d %s", a.status, a.raw)
	}
	scrapeMetrics(t, srv.URL).expect(t, []series{
		{metrics.SessionsOpen, nil, 1},
		{metrics.Requests, created, 2},
		{metrics.RecordsHeld, orders, 2},
	})
	if a := call(t, http.MethodGet, str(sess, "controlUrl")+"/metrics", "", nil); a.status != http.StatusNotFound {
		t.Errorf("a session's own metrics route: %d, want 404 (the sandbox's are at /_sandbox/metrics)", a.status)
	}
	if a := call(t, http.MethodDelete, srv.URL+"/_sandbox/sessions/"+str(sess, "id"), "", nil); a.status != http.StatusNoContent {
		t.Fatalf("ending the session: %d", a.status)
	}
	if a := call(t, http.MethodGet, srv.URL+"/_sandbox/sessions/"+str(sess, "id")+"/_sandbox/clock", "", nil); a.status != http.StatusNotFound {
		t.Fatalf("the ended session's control API: %d", a.status)
	}
	scrapeMetrics(t, srv.URL).expect(t, []series{
		{metrics.SessionsOpen, nil, 0},
		{metrics.Requests, created, 2},
		{metrics.RecordsHeld, orders, 1},
		// GET …/metrics of the open session, counted once (by its
		// sandbox), and the ended session's clock (by the sandbox's)
		{metrics.Requests, []string{"marketplace", "control", "route", "unmatched", "method", "GET", "status", "404"}, 2},
	})
}

func TestMetricsRefuseInput(t *testing.T) {
	srv := frozen(t)
	for _, q := range []string{"?name[]=sandbox_requests_total", "?x"} {
		if a := send(t, http.MethodGet, srv.URL+"/_sandbox/metrics"+q, ""); a.status != http.StatusBadRequest || a.body["error"] != "invalid_request" {
			t.Errorf("GET /_sandbox/metrics%s: %d %s", q, a.status, a.raw)
		}
	}
	if a := send(t, http.MethodPost, srv.URL+"/_sandbox/metrics", ""); a.status != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", a.status)
	}
}

// TestDescribeNamesTheBuildAndTheMetrics: GET /_sandbox says which build
// answers, as `sandbox version --json` does, and where its metrics are.
func TestDescribeNamesTheBuildAndTheMetrics(t *testing.T) {
	srv := frozen(t)
	a := send(t, http.MethodGet, srv.URL+"/_sandbox", "")
	build, _ := a.body["build"].(map[string]any)
	control, _ := a.body["control"].(map[string]any)
	if a.status != http.StatusOK || build["version"] == "" || !strings.HasPrefix(build["goVersion"].(string), "go") || build["platform"] == "" {
		t.Errorf("build: %d %s", a.status, a.raw)
	}
	if control["metrics"] != srv.URL+"/_sandbox/metrics" {
		t.Errorf("control.metrics = %v", control["metrics"])
	}
}

// TestReadmeDocumentsEveryMetric: the README's metrics table has a row
// for every family, with its type and labels, and none for a family the
// sandbox does not expose.
func TestReadmeDocumentsEveryMetric(t *testing.T) {
	text := section(t, readRepoFile(t, "README.md"), "## Metrics")
	rows := map[string]string{}
	for line := range strings.Lines(text) {
		if name, ok := strings.CutPrefix(line, "| `sandbox_"); ok {
			name = "sandbox_" + name[:strings.Index(name, "`")]
			rows[name] = line
		}
	}
	for _, f := range metrics.Families() {
		row, ok := rows[f.Name]
		if !ok {
			t.Errorf("no row for %s", f.Name)
			continue
		}
		delete(rows, f.Name)
		cells := strings.Split(row, "|")
		if strings.TrimSpace(cells[2]) != f.Type {
			t.Errorf("%s: type %q, want %s", f.Name, cells[2], f.Type)
		}
		var labels []string
		for _, l := range f.Labels {
			labels = append(labels, "`"+l+"`")
		}
		if strings.TrimSpace(cells[3]) != strings.Join(labels, ", ") {
			t.Errorf("%s: labels %q, want %s", f.Name, cells[3], strings.Join(labels, ", "))
		}
	}
	for name := range rows {
		t.Errorf("the README documents %s, which the sandbox does not expose", name)
	}
}
