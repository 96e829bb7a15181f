package buildinfo

import (
	"runtime/debug"
	"testing"
	"time"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Path: "example.com/sandbox", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	devel := &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Path: "example.com/sandbox", Version: "(devel)"}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		bi     *debug.BuildInfo
		ok     bool
		linked string
		want   Info
	}{
		{"a module version and VCS stamps", stamped, true, "",
			Info{Version: "v1.4.0", Revision: "0123abcd", Time: &at, Modified: true, GoVersion: "go1.26.10", Module: "example.com/sandbox"}},
		{"the -X version wins", stamped, true, "v1.5.0-rc1",
			Info{Version: "v1.5.0-rc1", Revision: "0123abcd", Time: &at, Modified: true, GoVersion: "go1.26.10", Module: "example.com/sandbox"}},
		{"a local build without VCS stamps", devel, true, "", Info{Version: "dev", GoVersion: "go1.26.10", Module: "example.com/sandbox"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fromBuildInfo(c.bi, c.ok, c.linked)
			c.want.Platform = got.Platform
			if got.Version != c.want.Version || got.Revision != c.want.Revision || got.Modified != c.want.Modified ||
				got.GoVersion != c.want.GoVersion || got.Module != c.want.Module || (got.Time == nil) != (c.want.Time == nil) ||
				got.Time != nil && !got.Time.Equal(*c.want.Time) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
	t.Run("no build info at all", func(t *testing.T) {
		if got := fromBuildInfo(nil, false, ""); got.Version != "dev" || got.GoVersion == "" || got.Platform == "" {
			t.Errorf("got %+v", got)
		}
	})
}
