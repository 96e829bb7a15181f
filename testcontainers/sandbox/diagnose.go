package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Run's failures on hosts like CI's used to be one bare line after 30 s
// ("context deadline exceeded"): an image never built, a reaper image no
// registry serves, or a wait strategy dialling an address the port is not
// published on. The functions here name the cause and the remedy instead.

// reaperImage is the image testcontainers-go starts as its reaper (Ryuk)
// unless TESTCONTAINERS_RYUK_DISABLED=true.
var reaperImage = testcontainers.ReaperDefaultImage //nolint:staticcheck // the only exported name of it

// reaperPullTimeout bounds the pull of the reaper image done before the
// start: testcontainers-go itself retries a failing pull for minutes.
const reaperPullTimeout = 30 * time.Second

// logLines is how many of the container's last log lines a start failure
// quotes.
const logLines = 20

// engine is what preflight needs of the Docker engine.
type engine interface {
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImagePull(ctx context.Context, ref string, opts client.ImagePullOptions) (client.ImagePullResponse, error)
}

var _ engine = (*client.Client)(nil)

// preflight looks for the usual reasons the sandbox cannot start here,
// before testcontainers-go would hide them behind retries and timeouts.
func preflight(ctx context.Context, img string) error {
	cli, err := newEngine(ctx)
	if err != nil {
		return fmt.Errorf("no Docker engine answers (%w): start one, or point DOCKER_HOST at one", err)
	}
	defer cli.Close()
	return checkEngine(ctx, cli, img, testcontainers.ReadConfig().RyukDisabled, os.Getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"))
}

// newEngine connects to the engine testcontainers-go would use; it
// panics on some broken DOCKER_HOST values, which is an error here.
func newEngine(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker client: %v", r)
		}
	}()
	return testcontainers.NewDockerClientWithOpts(ctx)
}

// checkEngine refuses an image that only `make image` can produce and is
// not there, and a reaper image that is neither there nor pullable.
func checkEngine(ctx context.Context, cli engine, img string, ryukDisabled bool, hubPrefix string) error {
	if _, err := cli.ImageInspect(ctx, img); err != nil {
		if !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("inspecting image %s: %w", img, err)
		}
		if !strings.Contains(img, "/") {
			// No registry and no organisation: a local tag such as
			// marketplace-sandbox:dev, which no registry serves.
			return fmt.Errorf("image %s is not on this Docker engine and no registry serves it: "+
				"run `make image` in the marketplace-sandbox repository (it builds marketplace-sandbox:dev "+
				"FROM scratch, pulling nothing), or pass a published image", img)
		}
	}
	if ryukDisabled || hubPrefix != "" {
		return nil
	}
	if _, err := cli.ImageInspect(ctx, reaperImage); err == nil {
		return nil
	}
	pullCtx, cancel := context.WithTimeout(ctx, reaperPullTimeout)
	defer cancel()
	resp, err := cli.ImagePull(pullCtx, reaperImage, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(pullCtx)
		resp.Close()
	}
	if err != nil {
		return fmt.Errorf("testcontainers-go's reaper needs the image %s, which is not on this Docker engine "+
			"and cannot be pulled (%w): set TESTCONTAINERS_RYUK_DISABLED=true "+
			"(then terminate containers yourself, e.g. with testcontainers.CleanupContainer)", reaperImage, err)
	}
	return nil
}

// explainStart turns the error of a container that started but never
// became healthy into one that says where it was probed, what it logged
// last, and the usual remedy.
func explainStart(ctx context.Context, ctr testcontainers.Container, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	addr := "(no mapped address)"
	host, herr := ctr.Host(ctx)
	port, perr := ctr.MappedPort(ctx, Port)
	if herr == nil && perr == nil {
		addr = "http://" + net.JoinHostPort(host, port.Port()) + "/_sandbox/health"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the sandbox container %.12s did not become healthy at %s: %v", ctr.GetContainerID(), addr, err)
	if herr == nil && !isLoopback(host) && os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		fmt.Fprintf(&b, "\nthe port is published on 127.0.0.1 only, but testcontainers-go dials %s "+
			"(it does when it believes it runs inside a container, e.g. /.dockerenv exists): "+
			"set TESTCONTAINERS_HOST_OVERRIDE=localhost", host)
	}
	fmt.Fprintf(&b, "\nlast log lines of the container:\n%s", lastLogLines(ctx, ctr, logLines))
	return errors.New(b.String())
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lastLogLines returns the last n lines the container logged, indented,
// or why they cannot be read.
func lastLogLines(ctx context.Context, ctr testcontainers.Container, n int) string {
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return "  (logs unavailable: " + err.Error() + ")"
	}
	defer rc.Close()
	lines := tail(rc, n)
	if len(lines) == 0 {
		return "  (the container logged nothing)"
	}
	return "  " + strings.Join(lines, "\n  ")
}

// tail keeps the last n lines of r.
func tail(r io.Reader, n int) []string {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}
