package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo"
)

func TestVersion(t *testing.T) {
	t.Run("for a person", func(t *testing.T) {
		out, _, code := runCommand(t, nil, "version")
		want := buildinfo.Read()
		if code != 0 || !strings.HasPrefix(out, "marketplace-sandbox "+want.Version+"\n") ||
			!strings.Contains(out, "  go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) || !strings.Contains(out, "  revision: ") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("for machines, as GET /_sandbox says it", func(t *testing.T) {
		out, _, code := runCommand(t, nil, "version", "--json")
		var got buildinfo.Info
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		if want := buildinfo.Read(); got.Version != want.Version || got.GoVersion != want.GoVersion || got.Platform != want.Platform {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("without reading the configuration", func(t *testing.T) {
		if _, errOut, code := runCommand(t, map[string]string{"SANDBOX_ADDR": "nowhere", "SANDBOX_NO_SUCH": "1"}, "version"); code != 0 {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
	for _, args := range [][]string{{"version", "extra"}, {"version", "--yaml"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if _, errOut, code := runCommand(t, nil, args...); code != 2 || !strings.Contains(errOut, "version") {
				t.Errorf("exit %d: %s", code, errOut)
			}
		})
	}
}
