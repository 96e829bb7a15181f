package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// htmlTemplate is a single page with inline CSS and no script or external
// asset, so it can be archived as a CI artifact and opened offline.
//
//go:embed report.html.tmpl
var htmlTemplate string

// WriteHTML writes r as a self-contained HTML page: a summary, then each
// scenario with its requirement, failures and every request and response.
func WriteHTML(w io.Writer, r Run) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"transcript": ExchangeText,
		"open":       func(res engine.Result) bool { return res.Outcome == engine.Fail || res.Outcome == engine.Error },
		"join":       strings.Join,
		"ms":         func(res engine.Result) int64 { return res.Duration.Milliseconds() },
	}).Parse(htmlTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, struct {
		Run
		Summary Summary
	}{r, r.Summary()})
}
