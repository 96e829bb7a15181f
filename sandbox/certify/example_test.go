package certify_test

import (
	"fmt"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// A suite of one verdict judges a journal in which the client came back
// half a second after a 503 that asked it to wait two.
func ExampleJudge() {
	suite, err := certify.Parse("example", []byte(`
name: example
api: gitlab
classes:
  token: {method: POST, path: /oauth/token}
verdicts:
  - id: retry-after-honoured
    requirement: No request comes sooner than the Retry-After of the answer before it.
    check: retry-after
    with: {classes: [token]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := []journal.Entry{
		{ID: 1, Wall: t0, API: "gitlab", Method: "POST", Path: "/oauth/token", Status: 503, Client: "acme",
			Response: journal.Message{Headers: map[string][]string{"Retry-After": {"2"}}}},
		{ID: 2, Wall: t0.Add(500 * time.Millisecond), API: "gitlab", Method: "POST", Path: "/oauth/token", Status: 200, Client: "acme"},
	}
	report := certify.Judge(suite, entries, 0)
	v := report.Verdicts[0]
	fmt.Println(v.Status, "-", v.Detail)
	for _, e := range v.Evidence {
		fmt.Println(e.ID, e.Status, e.Note)
	}
	fmt.Println("passed:", report.Passed)
	// Output:
	// fail - 1 request(s) sooner than the Retry-After of the answer before them (0 waited)
	// 1 503 Retry-After 2s
	// 2 200 came after 500ms, before Retry-After
	// passed: false
}
