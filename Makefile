# marketplace-sandbox — every target a developer or CI needs.

# The Go release every build and test uses: the newest patch the module
# proxy serves (go.mod's toolchain line says the same). It is exported
# because a machine whose go.env says GOTOOLCHAIN=local (as Go's own
# default there does) ignores go.mod's toolchain line; the go command
# fetches this release from the module proxy once (~75 MB) and caches it.
GOTOOLCHAIN ?= go1.26.11
export GOTOOLCHAIN

GO      ?= go
BIN     ?= bin
ADDR    ?= 127.0.0.1:8080
PKGS    := ./...

# VERSION is what `sandbox version` and GET /_sandbox report (sandbox/buildinfo).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.version=$(VERSION) \
	-X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.revision=$(REVISION)

CONFORMANCE_ADDR ?= 127.0.0.1:18080
REPORTS          ?= reports

.PHONY: all build run test unit memory lint vet vuln fmt-check conformance image docker-test bench load load-microsoft load-metering images-multiarch ci-test clean

all: build

## build: the sandbox and conformance binaries, static, into ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: the sandbox with its embedded default fixtures
run:
	$(GO) run ./cmd/sandbox --addr $(ADDR)

## test: everything CI checks: formatting, vet, govulncheck (skipped with a
## message where its database cannot be reached), all Go tests under the race
## detector, the conformance suite against the built binary, and the
## container tests (skipped with a message when Docker is absent outside CI)
test: fmt-check vet vuln unit memory conformance docker-test

unit:
	$(GO) test -race -count=1 $(PKGS)

## memory: the live-heap bounds, which the race detector would slow tenfold (they skip under -race)
memory:
	$(GO) test -count=1 -run 'StaySmall|MemoryIsBounded' ./sandbox/...

# The sandbox `make conformance` starts guards its control API with a
# random token, which the suite sends: the whole pack runs as it would
# against a sandbox a team shares (README, "Control API security").
SUITE_CONTROL_TOKEN := make-conformance-$(shell od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

## conformance: run the scenario library against a freshly started sandbox; reports in $(REPORTS)/
conformance:
	mkdir -p $(BIN) $(REPORTS)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/sandbox ./cmd/conformance
	$(BIN)/sandbox --clock frozen --addr $(CONFORMANCE_ADDR) --control-token $(SUITE_CONTROL_TOKEN) > $(REPORTS)/sandbox.log 2>&1 & pid=$$!; \
	$(BIN)/conformance --target http://$(CONFORMANCE_ADDR) --wait 15s --quiet --control-token $(SUITE_CONTROL_TOKEN) \
	  --junit $(REPORTS)/conformance.xml --json $(REPORTS)/conformance.json --html $(REPORTS)/conformance.html; \
	status=$$?; kill $$pid; wait $$pid 2>/dev/null; exit $$status

## image: the sandbox and conformance images, FROM scratch (marketplace-sandbox:dev, marketplace-sandbox-conformance:dev)
image:
	GO=$(GO) testcontainers/build-images.sh

## docker-test: images, sandbox container health, conformance in Docker and compose, testcontainers module tests.
## In CI (CI=true) it installs and starts a Docker engine when none answers.
docker-test:
	@if [ "$${CI:-}" != "true" ] && ! docker info >/dev/null 2>&1; then \
	  echo "SKIP docker-test: no Docker engine answers 'docker info' (CI installs one; see README, Docker)"; \
	else GO=$(GO) testcontainers/ci-docker.sh; fi

## images-multiarch: images for linux/amd64 and linux/arm64 (TAG-amd64, TAG-arm64), their metadata, the arm64
## binaries and image under qemu-user-static, a manifest list through a loopback registry (ci/multiarch.sh)
images-multiarch:
	GO=$(GO) ci/multiarch.sh

## ci-test: the GitHub Action's steps and the GitLab template's jobs, run as the runners do (part of unit)
ci-test:
	$(GO) test -count=1 ./ci/

## lint: gofmt and go vet (golangci-lint is used when installed)
lint: fmt-check vet
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run; fi

vet:
	$(GO) vet $(PKGS)

## vuln: govulncheck on both modules; fails on a reachable vulnerability, and
## skips with a message when the vulnerability database cannot be reached
## (GOVULNDB, default https://vuln.go.dev; file:///path for a local copy)
vuln:
	GO=$(GO) bash .ci/vuln.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: Go benchmarks of the hot paths
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sandbox/...

## load: wrk against the running binary beside a bare net/http handler (see BENCHMARKS.md)
load: build
	bash cmd/loadbench/load.sh

## load-microsoft: wrk against Microsoft's fulfillment API beside a bare handler (see BENCHMARKS.md)
load-microsoft: build
	bash cmd/loadbench/load-microsoft.sh

## load-metering: wrk against Microsoft's metering service beside a bare handler (see BENCHMARKS.md)
load-metering: build
	bash cmd/loadbench/load-metering.sh

clean:
	rm -rf $(BIN) reports
