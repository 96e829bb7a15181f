// Package buildinfo says which build of the sandbox runs: the version it
// was released as, the commit it was built from and the Go that built
// it, for `sandbox version`, GET /_sandbox and the metrics'
// sandbox_build_info. It reads what the Go toolchain stamps into every
// binary (runtime/debug.ReadBuildInfo), and the version a release build
// sets with
//
//	go build -ldflags "-X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.version=v1.2.3
//	  -X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.revision=$(git rev-parse HEAD)"
//
// as testcontainers/build-images.sh and `make build` do from
// `git describe` and `git rev-parse`. The toolchain records VCS details
// only when it builds in a checkout with -buildvcs (its default, unless
// GOFLAGS turns it off) whose .git is a directory (not in a git
// worktree, where .git is a file); a version set with -X wins over the
// module's, a revision set with -X stands in for a missing stamp.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// version and revision are set at link time (-X); empty otherwise.
var version, revision string

// Info is one build's identity. Fields the build did not record are
// empty (or zero).
type Info struct {
	// Version is the -X version, else the module's version (a tag when
	// built with `go install …@v1.2.3`), else "dev".
	Version string `json:"version"`
	// Revision, Time and Modified are the VCS commit, its time and
	// whether the tree had uncommitted changes.
	Revision  string     `json:"revision,omitempty"`
	Time      *time.Time `json:"time,omitempty"`
	Modified  bool       `json:"modified"`
	GoVersion string     `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
	// Module is the main module's path.
	Module string `json:"module,omitempty"`
}

// Read returns the running binary's Info (read once).
var Read = sync.OnceValue(func() Info {
	bi, ok := debug.ReadBuildInfo()
	info := fromBuildInfo(bi, ok, version)
	if info.Revision == "" {
		info.Revision = revision
	}
	return info
})

// fromBuildInfo reads what the toolchain stamped, and the -X version.
func fromBuildInfo(bi *debug.BuildInfo, ok bool, linked string) Info {
	info := Info{Version: linked, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok {
		info.GoVersion, info.Module = bi.GoVersion, bi.Main.Path
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					info.Time = &t
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
