package scenario_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
	"github.com/marketplace-sandbox/marketplace-sandbox/scenarios"
)

// FuzzLoad feeds arbitrary bytes to the loader as one scenario file,
// beside the library's fragments: it must never panic or hang, and every
// problem it reports must name the file and a line (the seeds are the
// library's own files).
func FuzzLoad(f *testing.F) {
	frags, err := fs.ReadFile(scenarios.FS, "gitlab/_fragments.yaml")
	if err != nil {
		f.Fatal(err)
	}
	names, _ := fs.Glob(scenarios.FS, "gitlab/*.yaml")
	for _, name := range names {
		data, _ := fs.ReadFile(scenarios.FS, name)
		f.Add(data)
	}
	f.Add([]byte("id: x\nsteps: [{token: {credential: create}}]\n"))
	f.Add([]byte("- [\n\t&a *a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"_fragments.yaml": {Data: frags}, "f.yaml": {Data: data}}
		done := make(chan error, 1)
		go func() {
			_, err := scenario.Load(fsys, "scenarios")
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Load did not return within 10 s on %q", data)
		}
		if err == nil {
			return
		}
		var lerr *scenario.LoadError
		if !errors.As(err, &lerr) || len(lerr.Problems) == 0 {
			t.Fatalf("want a *LoadError with problems, got %T %v", err, err)
		}
		for _, p := range lerr.Problems {
			if !strings.HasPrefix(p.File, "scenarios/") || p.Line < 1 {
				t.Fatalf("problem without file:line: %+v", p)
			}
		}
	})
}
