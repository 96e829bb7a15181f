package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/engine"
)

// Transcript renders every exchange of a result as plain text, the way an
// HTTP client would show it, for JUnit system-out and terminals.
func Transcript(res engine.Result) string {
	var b strings.Builder
	for i, st := range res.Steps {
		fmt.Fprintf(&b, "--- step %d %s %s (line %d)\n", i+1, st.Kind, st.Name, st.Line)
		for _, ex := range st.Exchanges {
			b.WriteString(ExchangeText(ex))
		}
		if len(st.Observed) > 0 {
			fmt.Fprintf(&b, "observed: %s\n", strings.Join(st.Observed, " → "))
		}
	}
	return b.String()
}

// ExchangeText renders one request and response.
func ExchangeText(ex engine.Exchange) string {
	var b strings.Builder
	if ex.Purpose != "" {
		fmt.Fprintf(&b, "# %s\n", ex.Purpose)
	}
	fmt.Fprintf(&b, "> %s %s\n", ex.Method, ex.URL)
	writeHeaders(&b, "> ", ex.RequestHeaders)
	if ex.RequestBody != "" {
		fmt.Fprintf(&b, ">\n> %s\n", ex.RequestBody)
	}
	if ex.Error != "" {
		fmt.Fprintf(&b, "! %s\n", ex.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "< %d (%s)\n", ex.Status, ex.Duration.Round(10_000))
	writeHeaders(&b, "< ", ex.ResponseHeaders)
	if ex.ResponseBody != "" {
		fmt.Fprintf(&b, "<\n< %s\n", ex.ResponseBody)
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, prefix string, h map[string][]string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}
