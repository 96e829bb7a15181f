package sandbox_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// The README is part of the product: these tests keep the parts of it
// that code can check true (issue #10, class 9).

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = ".."

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the markdown from the heading that starts with heading
// to the next heading of the same level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading)
	if i < 0 {
		t.Fatalf("no section %q", heading)
	}
	rest := doc[i+1+len(heading):]
	level := strings.SplitN(heading, " ", 2)[0]
	if j := strings.Index(rest, "\n"+level+" "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestReadmeExampleScriptIsAccepted posts the README's example script as
// it stands: an example the control API refuses teaches the wrong thing.
func TestReadmeExampleScriptIsAccepted(t *testing.T) {
	text := section(t, readRepoFile(t, "README.md"), "## Back-office scripts and manual callouts")
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(text, -1)
	if len(blocks) == 0 {
		t.Fatal("the section has no JSON example")
	}
	srv := sandboxtest.New(t, sandboxtest.WithFrozenClock(time.Time{}))
	for i, b := range blocks {
		resp, err := http.Post(srv.URL+"/_sandbox/gitlab/scripts", "application/json", strings.NewReader(b[1]))
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("JSON example %d answered %d, want 201:\n%s\n%s", i+1, resp.StatusCode, b[1], body)
		}
	}
}

// TestReadmeListsEveryRoute compares the README's routes table with the
// routes the code registers, both ways: a route missing from the table is
// undocumented, a row without a route documents nothing.
func TestReadmeListsEveryRoute(t *testing.T) {
	// A registration may go on to a continuation line (indented deeper);
	// one without Methods (a route taking every method, as resolve's 405)
	// is not a row of the table.
	handle := regexp.MustCompile(`r\.Handle(?:Func)?\(("[^"]+"|\w+),[^\n]*?(?:\n\t\t[^\n]*?)?\.Methods\(([^)]*)\)`)
	code := map[string][]string{}
	for _, file := range []string{"sandbox/routes.go", "sandbox/gitlab/routes.go", "sandbox/microsoft/routes.go", "sandbox/microsoft/entra/routes.go"} {
		for _, m := range handle.FindAllStringSubmatch(readRepoFile(t, file), -1) {
			path := strings.Trim(m[1], `"`)
			if path == "CalloutPath" {
				path = gitlab.CalloutPath
			}
			for _, method := range strings.Split(m[2], ",") {
				code[path] = append(code[path], strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(method), "http.Method")))
			}
		}
	}
	for path, methods := range code { // every GET route answers HEAD too (dispatch)
		if slices.Contains(methods, "GET") && !slices.Contains(methods, "HEAD") {
			code[path] = append(methods, "HEAD")
		}
	}
	if len(code) < 10 {
		t.Fatalf("found only %d routes in the routes files; the pattern no longer matches them", len(code))
	}
	row := regexp.MustCompile("(?m)^\\| `(/[^`]*)` \\| ([A-Z, ]+) \\|")
	doc := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(section(t, readRepoFile(t, "README.md"), "## Routes and limits"), -1) {
		doc[m[1]] = strings.Split(strings.ReplaceAll(m[2], " ", ""), ",")
	}
	for path, methods := range code {
		slices.Sort(methods)
		got := slices.Sorted(slices.Values(doc[path]))
		if !slices.Equal(got, methods) {
			t.Errorf("route %s %v: README's routes table says %v", path, methods, got)
		}
	}
	for path := range doc {
		if _, ok := code[path]; !ok {
			t.Errorf("README's routes table lists %s, which no routes.go registers", path)
		}
	}
}

// TestDocsLinksStayInRepository: every relative link of the documentation
// points at a file of this repository, not beside it.
func TestDocsLinksStayInRepository(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range []string{"README.md", "conformance/README.md", "testcontainers/README.md", "docs/gitlab.md", "docs/microsoft.md", "docs/style.md"} {
		t.Run(doc, func(t *testing.T) {
			for _, m := range link.FindAllStringSubmatch(readRepoFile(t, doc), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				abs := filepath.Join(root, filepath.Dir(doc), target)
				if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s links to %s, outside the repository", doc, m[1])
					continue
				}
				if _, err := os.Stat(abs); err != nil {
					t.Errorf("%s links to %s, which does not exist", doc, m[1])
				}
			}
		})
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
