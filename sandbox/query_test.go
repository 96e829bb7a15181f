package sandbox

import (
	"net/url"
	"strings"
	"testing"
)

// parsesAsGoDoes is what refuseBadQuery decided before queryParses: the
// query as url.ParseQuery takes it, ';' read as '&' outside the control
// API.
func parsesAsGoDoes(query string, control bool) bool {
	if !control {
		query = strings.ReplaceAll(query, ";", "&")
	}
	_, err := url.ParseQuery(query)
	return err == nil
}

// TestQueryParsesAgreesWithURLParseQuery: the middleware's quick check
// refuses exactly the queries url.ParseQuery refuses.
func TestQueryParsesAgreesWithURLParseQuery(t *testing.T) {
	for _, q := range []string{"a=1", "api-version=2018-08-31", "a=%41", "a=%4", "a=%", "%", "%%41", "a=%zz", "a=%4g", "a=%E2%82%AC",
		"a=1;b=2", ";", "a;b", "a=%3B", "a=+", "&&", "=", "a==b", "%41=%42", "a=%0", "a=1&b=%", "a=%c3%28", "k=%2", "x=%%"} {
		for _, control := range []bool{false, true} {
			if got, want := queryParses(q, control), parsesAsGoDoes(q, control); got != want {
				t.Errorf("queryParses(%q, control %v) = %v, url.ParseQuery says %v", q, control, got, want)
			}
		}
	}
}

// FuzzQueryParses: the same on any query.
func FuzzQueryParses(f *testing.F) {
	f.Add("a=%41;b", true)
	f.Add("%zz", false)
	f.Fuzz(func(t *testing.T, q string, control bool) {
		if got, want := queryParses(q, control), parsesAsGoDoes(q, control); got != want {
			t.Fatalf("queryParses(%q, control %v) = %v, url.ParseQuery says %v", q, control, got, want)
		}
	})
}
