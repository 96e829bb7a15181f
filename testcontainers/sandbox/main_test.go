package sandbox_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"

	"github.com/marketplace-sandbox/marketplace-sandbox/testcontainers/sandbox"
)

// image is the sandbox image under test: SANDBOX_IMAGE, or what
// `make image` tags.
var image = envOr("SANDBOX_IMAGE", "marketplace-sandbox:dev")

// dockerProblem says why no container can run here (nil when one can);
// imageProblem why the image under test cannot be used.
var dockerProblem, imageProblem error

func TestMain(m *testing.M) {
	// Without these, testcontainers-go tries to pull its reaper image (no
	// registry here) and, on a VM with /.dockerenv, dials the Docker
	// gateway instead of localhost. Set either to override.
	setDefaultEnv("TESTCONTAINERS_RYUK_DISABLED", "true")
	setDefaultEnv("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
	flag.Parse()
	dockerProblem, imageProblem = probeDocker(image)
	if dockerProblem != nil && !inCI() {
		fmt.Fprintf(os.Stderr, "marketplace-sandbox/testcontainers: skipping container tests and examples: %v (CI runs them for real)\n", dockerProblem)
		// Examples cannot skip themselves, and their output would not match.
		skip := "^Example"
		if prev := flag.Lookup("test.skip").Value.String(); prev != "" {
			skip = prev + "|" + skip
		}
		_ = flag.Set("test.skip", skip)
	}
	os.Exit(m.Run())
}

// requireSandbox starts the image under test with opts and terminates it
// when the test ends. Without Docker it skips, except in CI, where a
// missing engine is a failure.
func requireSandbox(t *testing.T, opts ...testcontainers.ContainerCustomizer) *sandbox.Container {
	t.Helper()
	requireSandboxEngine(t)
	// testcontainers-go logs every step; keep that in the test's own log.
	opts = append([]testcontainers.ContainerCustomizer{testcontainers.WithLogger(log.TestLogger(t))}, opts...)
	ctr, err := sandbox.Run(t.Context(), image, opts...)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	return ctr
}

// requireSandboxEngine skips without Docker (fails in CI) and fails when
// the image under test is missing.
func requireSandboxEngine(t *testing.T) {
	t.Helper()
	switch {
	case dockerProblem != nil && inCI():
		t.Fatalf("CI is set, so Docker is required, but no engine answers: %v", dockerProblem)
	case dockerProblem != nil:
		t.Skipf("skipping: no Docker engine answers (%v); CI runs these tests for real (testcontainers/ci-docker.sh)", dockerProblem)
	case imageProblem != nil:
		t.Fatalf("image %s: %v; build it with `make image` (testcontainers/build-images.sh) or set SANDBOX_IMAGE", image, imageProblem)
	}
}

// probeDocker asks the engine for its info and for the image.
func probeDocker(image string) (engine, img error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer func() {
		// testcontainers-go panics on some broken DOCKER_HOST settings.
		if r := recover(); r != nil {
			engine = fmt.Errorf("docker client: %v", r)
		}
	}()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err, nil
	}
	defer cli.Close()
	_, err = cli.ImageInspect(ctx, image)
	return nil, err
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func setDefaultEnv(key, value string) {
	if _, ok := os.LookupEnv(key); !ok {
		os.Setenv(key, value)
	}
}
