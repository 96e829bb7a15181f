package report_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/report"
)

func sampleRun() report.Run {
	ex := engine.Exchange{Method: "GET", URL: "http://t/x", RequestHeaders: map[string][]string{"Authorization": {"Bearer ****"}},
		Status: 200, ResponseBody: `{"status":"<Created>"}`}
	return report.Run{Suite: "S", Target: "http://t", Started: time.Unix(0, 0), Duration: time.Second, Results: []engine.Result{
		{ScenarioID: "a", Title: "A", Requirement: "It MUST pass.", Outcome: engine.Pass, Labels: []string{"token"}, Source: "scenarios/a.yaml:2"},
		{ScenarioID: "b", Title: "B", Requirement: "It MUST fail.", Outcome: engine.Fail, Labels: []string{"create"},
			Failures: []engine.Failure{{Step: "step 1", Message: "status: want 201, got 500"}},
			Steps:    []engine.StepResult{{Kind: "request", Exchanges: []engine.Exchange{ex}, Observed: []string{"Created"}}}},
		{ScenarioID: "c", Title: "C", Requirement: "It MUST skip.", Outcome: engine.Skip, Reason: "target lacks capability [control]"},
		{ScenarioID: "d", Title: "D", Requirement: "It MUST run.", Outcome: engine.Error, ErrorKind: engine.TargetError, Reason: "refused"},
	}}
}

func TestJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suite    struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				File    string `xml:"file,attr"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Type string `xml:"type,attr"`
				} `xml:"error"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	cases := doc.Suite.Cases
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(cases) != 4 {
		t.Fatalf("counts: %+v", doc)
	}
	if cases[0].Name != "a: A" || cases[0].File != "scenarios/a.yaml" || cases[0].Failure != nil || cases[0].Skipped != nil {
		t.Errorf("passing case: %+v", cases[0])
	}
	if f := cases[1].Failure; f == nil || f.Message != "[b] It MUST fail. — status: want 201, got 500" || !strings.Contains(cases[1].Out, "> GET http://t/x") {
		t.Errorf("failing case: %+v", cases[1])
	}
	if s := cases[2].Skipped; s == nil || s.Message != "target lacks capability [control]" {
		t.Errorf("skipped case: %+v", cases[2])
	}
	if e := cases[3].Error; e == nil || e.Type != "target" {
		t.Errorf("error case: %+v", cases[3])
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"4 scenarios", "1 failed", "It MUST fail.", "status: want 201, got 500", "&lt;Created&gt;", "Bearer ****", "Observed: Created"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=\"http", "<Created>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestJSONCarriesSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"summary": {`) || !strings.Contains(buf.String(), `"skipped": 1`) {
		t.Errorf("%s", buf.String())
	}
}

// TestHTMLOpensWithLinkedFailures proves the page starts with the list of
// failed and errored scenarios, before any scenario's details, each linked
// to the anchor of its details, and shows bodies byte for byte.
func TestHTMLOpensWithLinkedFailures(t *testing.T) {
	run := sampleRun()
	wire := `{"zeta": 1,  "alpha":[2,1], "id":"x"}`
	run.Results[1].Steps[0].Exchanges[0].ResponseBody = wire
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	index := strings.Index(page, `<section id="failures"`)
	firstDetails := strings.Index(page, `<details class="scenario"`)
	if index < 0 || firstDetails < 0 || index > firstDetails {
		t.Fatalf("the failures list does not open the page (at %d, first scenario at %d)", index, firstDetails)
	}
	list := page[index:firstDetails]
	for _, want := range []string{`Failures (2)`, `<a href="#scenario-b">`, `<a href="#scenario-d">`, "status: want 201, got 500", "refused"} {
		if !strings.Contains(list, want) {
			t.Errorf("failures list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "#scenario-a") || strings.Contains(list, "#scenario-c") {
		t.Errorf("failures list names a passed or skipped scenario:\n%s", list)
	}
	for _, id := range []string{"scenario-b", "scenario-d"} {
		if !strings.Contains(page, `<details class="scenario" id="`+id+`" open>`) {
			t.Errorf("no open details with id %s", id)
		}
	}
	if !strings.Contains(page, `{&#34;zeta&#34;: 1,  &#34;alpha&#34;:[2,1], &#34;id&#34;:&#34;x&#34;}`) {
		t.Error("the body is not shown as it went over the wire")
	}
}
