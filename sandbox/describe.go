package sandbox

import (
	"net/http"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo"
)

// description is the body of GET /_sandbox: what this sandbox serves, for
// tools (the conformance harness, a dashboard) to discover it instead of
// being told.
type description struct {
	Service      string                    `json:"service"`
	Marketplaces map[string]map[string]any `json:"marketplaces"`
	// Control lists the shared control routes.
	Control map[string]string `json:"control"`
	Clock   clockView         `json:"clock"`
	// Build says which build answers (as `sandbox version --json` does),
	// so that a report or a dashboard can name it.
	Build buildinfo.Info `json:"build"`
}

// describe is GET /_sandbox.
func (s *Sandbox) describe(r *http.Request) (any, error) {
	if err := noInput(r); err != nil {
		return nil, err
	}
	base := requestBaseURL(r)
	d := description{Service: "marketplace-sandbox", Marketplaces: map[string]map[string]any{},
		Control: map[string]string{
			"health":  base + "/_sandbox/health",
			"reset":   base + "/_sandbox/reset",
			"clock":   base + "/_sandbox/clock",
			"advance": base + "/_sandbox/clock/advance",
			"faults":  base + "/_sandbox/faults",
			"journal": base + "/_sandbox/journal",
		},
		Clock: s.clockState(),
		Build: buildinfo.Read(),
	}
	if s.ownsMetrics {
		d.Control["metrics"] = base + "/_sandbox/metrics"
	}
	for _, m := range s.markets {
		about := map[string]any{}
		if d, ok := m.(describer); ok {
			about = d.Describe(base)
		}
		about["faultStatuses"] = m.FaultStatuses()
		d.Marketplaces[m.Name()] = about
	}
	return d, nil
}

// requestBaseURL is the sandbox's base URL as the client reached it.
func requestBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
