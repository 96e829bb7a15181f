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
