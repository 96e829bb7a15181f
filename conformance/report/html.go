package report

import (
	_ "embed"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// htmlHead is the page's head: inline CSS, no script and no external asset,
// so the page can be archived as a CI artifact and opened offline.
//
//go:embed report_head.html
var htmlHead string

// WriteHTML writes r as a self-contained HTML page: a summary, the list of
// failures (each linked to its scenario), then each scenario with its
// requirement, failures and every request and response, bodies as sent.
//
// The page is written with plain escaping rather than html/template on
// purpose: a template's reflective method calls stop the linker from
// dropping unused methods, which made the conformance binary (and its
// FROM scratch image) 7 MB larger.
func WriteHTML(w io.Writer, r Run) error {
	p := &page{}
	s := r.Summary()
	p.raw(strings.Replace(htmlHead, "<style>", "<title>"+esc(r.Suite)+" — "+esc(r.Target)+"</title>\n<style>", 1))
	p.f("<h1>%s</h1>\n", r.Suite)
	p.f(`<p class="meta">Target %s · started %s · %s%s</p>`+"\n", r.Target, r.Started.UTC().Format("2006-01-02 15:04:05 UTC"), r.Duration, profileNote(r.Profile))
	p.f(`<p class="summary">`+"\n<span>%d scenarios</span>\n"+`<span class="pass">%d passed</span>`+"\n"+
		`<span class="fail">%d failed</span>`+"\n"+`<span class="skip">%d skipped</span>`+"\n"+
		`<span class="error">%d errors</span>`+"\n</p>\n", s.Total, s.Passed, s.Failed, s.Skipped, s.Errors)
	p.raw(`<p class="meta">Client secrets and tokens are masked as ****; bodies are shown as they went over the wire.</p>` + "\n")
	p.failureIndex(r.Results)
	for _, res := range r.Results {
		p.result(res)
	}
	p.raw("</body>\n</html>\n")
	_, err := io.WriteString(w, p.b.String())
	return err
}

// page accumulates HTML; f escapes every argument.
type page struct{ b strings.Builder }

func esc(v any) string { return html.EscapeString(fmt.Sprint(v)) }

func (p *page) raw(s string) { p.b.WriteString(s) }

func (p *page) f(format string, args ...any) {
	escaped := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case int, int64:
			escaped[i] = a
		default:
			escaped[i] = esc(a)
		}
	}
	fmt.Fprintf(&p.b, format, escaped...)
}

// anchor is the id of a scenario's section; failureIndex links to it.
func anchor(res engine.Result) string { return "scenario-" + res.ScenarioID }

// failureIndex opens the page with what a reader came for: every failed
// or errored scenario, its first failure, and a link to its details.
func (p *page) failureIndex(results []engine.Result) {
	var bad []engine.Result
	for _, res := range results {
		if res.Outcome == engine.Fail || res.Outcome == engine.Error {
			bad = append(bad, res)
		}
	}
	if len(bad) == 0 {
		p.raw(`<section id="failures"><h2>No failures</h2></section>` + "\n")
		return
	}
	p.f(`<section id="failures" class="failures"><h2>Failures (%d)</h2>`+"\n<ol>\n", len(bad))
	for _, res := range bad {
		first := res.Reason
		if len(res.Failures) > 0 {
			first = res.Failures[0].Step + ": " + res.Failures[0].Message
		}
		p.f(`<li><a href="#%s"><span class="badge %s">%s</span><code>%s</code></a> — %s<br><span class="meta">%s</span></li>`+"\n",
			anchor(res), res.Outcome, res.Outcome, res.ScenarioID, res.Title, first)
	}
	p.raw("</ol>\n</section>\n")
}

func (p *page) result(res engine.Result) {
	open := ""
	if res.Outcome == engine.Fail || res.Outcome == engine.Error {
		open = " open"
	}
	p.f(`<details class="scenario" id="%s"`, anchor(res))
	p.raw(open + ">\n")
	p.f(`<summary><span class="badge %s">%s</span><code>%s</code> — %s <span class="meta">(%d ms)</span></summary>`+"\n",
		res.Outcome, res.Outcome, res.ScenarioID, res.Title, res.Duration.Milliseconds())
	p.f(`<p class="req">%s</p>`+"\n", res.Requirement)
	ref := ""
	if res.Reference != "" {
		ref = "Reference: " + res.Reference + " · "
	}
	p.f(`<p class="meta">%sSource: %s · Labels: %s</p>`+"\n", ref, res.Source, strings.Join(res.Labels, ", "))
	if res.Reason != "" {
		p.f(`<p class="failures">%s: %s</p>`+"\n", res.Outcome, res.Reason)
	}
	if len(res.Failures) > 0 {
		p.raw(`<div class="failures"><ul>`)
		for _, f := range res.Failures {
			p.f("<li><strong>%s</strong>: %s</li>", f.Step, f.Message)
		}
		p.raw("</ul></div>\n")
	}
	for _, s := range res.Steps {
		p.f(`<h4>Step %s %s <span class="meta">(line %d, %s)</span></h4>`+"\n", s.Kind, s.Name, s.Line, s.Duration)
		if len(s.Observed) > 0 {
			p.f(`<p class="meta">Observed: %s</p>`+"\n", strings.Join(s.Observed, " → "))
		}
		for _, ex := range s.Exchanges {
			p.f("<pre>%s</pre>\n", ExchangeText(ex))
		}
	}
	p.raw("</details>\n")
}

// profileNote names the profile a run judged Microsoft's steps by.
func profileNote(p string) string {
	if p == "" {
		return ""
	}
	return " · profile " + p
}
