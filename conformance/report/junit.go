package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// The JUnit XML shape understood by Jenkins, GitLab CI, GitHub actions
// reporters and xunit viewers: one testsuite, one testcase per scenario,
// <skipped/>, <failure> and <error> children.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes r as JUnit XML.
func WriteJUnit(w io.Writer, r Run) error {
	s := r.Summary()
	secs := fmt.Sprintf("%.3f", r.Duration.Seconds())
	suite := junitSuite{
		Name: r.Suite, Tests: s.Total, Failures: s.Failed, Errors: s.Errors, Skipped: s.Skipped,
		Time: secs, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{{Name: "target", Value: r.Target}, {Name: "profile", Value: r.Profile}},
	}
	for _, res := range r.Results {
		suite.Cases = append(suite.Cases, junitTestCase(res))
	}
	doc := junitSuites{Name: r.Suite, Tests: s.Total, Failures: s.Failed, Errors: s.Errors, Skipped: s.Skipped,
		Time: secs, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitTestCase(res engine.Result) junitCase {
	file, _, _ := strings.Cut(res.Source, ":")
	c := junitCase{
		Name:      res.ScenarioID + ": " + res.Title,
		Classname: "conformance." + classOf(res),
		Time:      fmt.Sprintf("%.3f", res.Duration.Seconds()),
		File:      file,
	}
	switch res.Outcome {
	case engine.Skip:
		c.Skipped = &junitMessage{Message: res.Reason}
	case engine.Fail:
		c.Failure = &junitMessage{Message: firstLine(res), Type: "requirement", Body: res.Message()}
	case engine.Error:
		c.Error = &junitMessage{Message: res.Reason, Type: string(res.ErrorKind), Body: res.Message()}
	}
	if res.Outcome != engine.Pass {
		c.SystemOut = Transcript(res)
	}
	return c
}

// classOf groups scenarios by their first label, so CI tools show
// "token", "create", ... groups.
func classOf(res engine.Result) string {
	if len(res.Labels) > 0 {
		return res.Labels[0]
	}
	return "scenario"
}

func firstLine(res engine.Result) string {
	msg := fmt.Sprintf("[%s] %s", res.ScenarioID, res.Requirement)
	if len(res.Failures) > 0 {
		msg += " — " + res.Failures[0].Message
	}
	return msg
}
