package sandbox_test

import (
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// TestOptions checks what each option asks of the container, without
// Docker: these run everywhere.
func TestOptions(t *testing.T) {
	start := time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		opt       testcontainers.CustomizeRequestOption
		wantEnv   map[string]string
		wantFile  string // container path of the one file copied in, if any
		unsetVars []string
	}{
		{
			name:     "config file",
			opt:      sandbox.WithConfigFile("testdata/config.yaml"),
			wantEnv:  map[string]string{"SANDBOX_CONFIG": sandbox.ConfigPath},
			wantFile: sandbox.ConfigPath,
		},
		{
			name:     "fixtures file",
			opt:      sandbox.WithFixturesFile("testdata/fixtures.yaml"),
			wantEnv:  map[string]string{"SANDBOX_FIXTURES": sandbox.FixturesPath},
			wantFile: sandbox.FixturesPath,
		},
		{
			name:    "frozen clock with a start",
			opt:     sandbox.WithFrozenClock(start),
			wantEnv: map[string]string{"SANDBOX_CLOCK": "frozen", "SANDBOX_CLOCK_START": "2030-01-02T03:04:05Z"},
		},
		{
			name:    "control token",
			opt:     sandbox.WithControlToken("a-control-token-of-32-characters"),
			wantEnv: map[string]string{"SANDBOX_CONTROL_TOKEN": "a-control-token-of-32-characters"},
		},
		{
			name:      "frozen clock from now",
			opt:       sandbox.WithFrozenClock(time.Time{}),
			wantEnv:   map[string]string{"SANDBOX_CLOCK": "frozen"},
			unsetVars: []string{"SANDBOX_CLOCK_START"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req testcontainers.GenericContainerRequest
			if err := tt.opt(&req); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.wantEnv {
				if got := req.Env[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.unsetVars {
				if v, ok := req.Env[k]; ok {
					t.Errorf("%s = %q, want it unset", k, v)
				}
			}
			switch {
			case tt.wantFile == "" && len(req.Files) > 0:
				t.Errorf("copies %d files, want none", len(req.Files))
			case tt.wantFile != "" && (len(req.Files) != 1 || req.Files[0].ContainerFilePath != tt.wantFile):
				t.Errorf("files = %+v, want one at %s", req.Files, tt.wantFile)
			case tt.wantFile != "" && req.Files[0].FileMode&0o004 == 0:
				t.Errorf("file mode %o: the sandbox's unprivileged user cannot read it", req.Files[0].FileMode)
			}
		})
	}
}
