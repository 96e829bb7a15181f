// Package sandbox runs marketplace-sandbox in a container for Go tests, the
// way testcontainers-go's own modules run databases: Run starts the image,
// waits until /_sandbox/health answers, and returns a Container that knows
// its base URL and speaks the sandbox's control API (reset, clock, fixtures)
// and its token endpoint.
//
// The image is built from the repository's Dockerfile (make image tags it
// marketplace-sandbox:dev); published builds would be tagged
// ghcr.io/marketplace-sandbox/marketplace-sandbox. To run the sandbox
// in-process instead, without Docker, use the main module's
// sandbox/sandboxtest package.
package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Port is the port the sandbox listens on inside its container.
const Port = "8080/tcp"

// Paths inside the container where WithConfigFile and WithFixturesFile put
// their files.
const (
	ConfigPath   = "/etc/marketplace-sandbox/config.yaml"
	FixturesPath = "/etc/marketplace-sandbox/fixtures.yaml"
)

// Container is a running sandbox.
type Container struct {
	testcontainers.Container
	client *http.Client
	// controlToken is the container's SANDBOX_CONTROL_TOKEN, read back
	// from it once started: the control calls send it.
	controlToken string
}

// Run starts the sandbox image img and waits until it is healthy. Options
// of this package and of testcontainers-go may be mixed; any SANDBOX_*
// setting can be passed with testcontainers.WithEnv.
//
// The port is published on 127.0.0.1 only, so a sandbox started by a test
// is not reachable from the network. With a remote Docker engine, add a
// testcontainers.WithHostConfigModifier that rewrites PortBindings: it runs
// after this package's.
//
// Before starting, Run checks the causes that otherwise surface as a bare
// timeout on hosts like CI's: an image that is not on the engine and that
// no registry serves (run `make image`), and a reaper (Ryuk) image that
// cannot be pulled (set TESTCONTAINERS_RYUK_DISABLED=true). A container
// that starts but never answers /_sandbox/health is reported with the
// address that was probed and its last log lines.
//
// As with every testcontainers-go module, a non-nil Container may come back
// with an error (it started but never became healthy); terminate it anyway,
// e.g. with testcontainers.CleanupContainer.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	defaults := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithHostConfigModifier(publishOnLoopback),
		testcontainers.WithWaitStrategy(
			wait.ForHTTP("/_sandbox/health").
				WithPort(Port).
				WithPollInterval(50 * time.Millisecond).
				WithStartupTimeout(30 * time.Second),
		),
	}
	if err := preflight(ctx, img); err != nil {
		return nil, fmt.Errorf("run marketplace-sandbox: %w", err)
	}
	ctr, err := testcontainers.Run(ctx, img, append(defaults, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr, client: &http.Client{Timeout: 10 * time.Second}}
	}
	switch {
	case err != nil && ctr != nil && ctr.GetContainerID() != "":
		return c, fmt.Errorf("run marketplace-sandbox: %w", explainStart(ctx, ctr, err))
	case err != nil:
		return c, fmt.Errorf("run marketplace-sandbox: %w", err)
	}
	if c.controlToken, err = envOf(ctx, ctr, controlTokenEnv); err != nil {
		return c, fmt.Errorf("run marketplace-sandbox: reading its control token: %w", err)
	}
	return c, nil
}

// controlTokenEnv is the sandbox's control_token setting.
const controlTokenEnv = "SANDBOX_CONTROL_TOKEN"

// WithControlToken sets the sandbox's control token (at least 16 visible
// ASCII characters): its control API then refuses every request without
// it but /_sandbox/health, as a sandbox shared by a team would. The
// Container's control calls (Reset, Advance, Partners...) send it; a
// token given as testcontainers.WithEnv(SANDBOX_CONTROL_TOKEN) is found
// too.
func WithControlToken(token string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{controlTokenEnv: token})
}

// ControlToken is the container's control token ("" for none), for a
// test's own control requests: send it as "Authorization: Bearer <token>".
func (c *Container) ControlToken() string { return c.controlToken }

// envOf is the value of one environment variable the container runs with.
func envOf(ctx context.Context, ctr testcontainers.Container, name string) (string, error) {
	info, err := ctr.Inspect(ctx)
	if err != nil {
		return "", err
	}
	if info.Config == nil {
		return "", nil
	}
	for _, kv := range info.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, nil
		}
	}
	return "", nil
}

// publishOnLoopback binds the sandbox's port to a random port of the
// host's loopback interface instead of every interface.
func publishOnLoopback(hc *container.HostConfig) {
	if hc.PortBindings == nil {
		hc.PortBindings = network.PortMap{}
	}
	hc.PortBindings[network.MustParsePort(Port)] = []network.PortBinding{
		{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1})},
	}
}

// URL is the sandbox's base URL as seen from the host, e.g.
// http://localhost:32768. Every API path is relative to it.
func (c *Container) URL(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, Port, "http")
}

// WithConfigFile copies a YAML configuration file (the format `sandbox
// settings` documents) into the container and points SANDBOX_CONFIG at
// it. SANDBOX_* variables still override what it says.
func WithConfigFile(hostPath string) testcontainers.CustomizeRequestOption {
	return withFile(hostPath, ConfigPath, "SANDBOX_CONFIG")
}

// WithFixturesFile copies a fixtures YAML file (partners and catalogue, the
// format of the repository's fixtures/default.yaml) into the container and
// points SANDBOX_FIXTURES at it. It replaces the default fixtures whole, so
// DefaultPartner no longer applies: read the partners with
// Container.Partners.
func WithFixturesFile(hostPath string) testcontainers.CustomizeRequestOption {
	return withFile(hostPath, FixturesPath, "SANDBOX_FIXTURES")
}

func withFile(hostPath, containerPath, env string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		// The sandbox runs as an unprivileged user: the file must be
		// readable by everyone, whatever its mode on the host.
		file := testcontainers.ContainerFile{HostFilePath: hostPath, ContainerFilePath: containerPath, FileMode: 0o444}
		if err := testcontainers.WithFiles(file)(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{env: containerPath})(req)
	}
}

// WithFrozenClock starts the sandbox with a clock that moves only when the
// control API advances it (Container.Advance), so tests of token expiry,
// callouts and provisioning never wait for real time. A zero start means
// the moment the container starts.
func WithFrozenClock(start time.Time) testcontainers.CustomizeRequestOption {
	env := map[string]string{"SANDBOX_CLOCK": "frozen"}
	if !start.IsZero() {
		env["SANDBOX_CLOCK_START"] = start.Format(time.RFC3339Nano)
	}
	return testcontainers.WithEnv(env)
}
