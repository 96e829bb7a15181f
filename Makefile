# marketplace-sandbox — every target a developer or CI needs.
GO      ?= go
BIN     ?= bin
ADDR    ?= 127.0.0.1:8080
PKGS    := ./...

.PHONY: all build run test lint vet fmt-check bench load clean

all: build

## build: the sandbox and conformance binaries, static, into ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

## run: the sandbox with its embedded default fixtures
run:
	$(GO) run ./cmd/sandbox --addr $(ADDR)

## test: everything CI checks: formatting, vet, and all tests under the race detector
test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)

## lint: gofmt and go vet (golangci-lint is used when installed)
lint: fmt-check vet
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run; fi

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: Go benchmarks of the hot paths
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sandbox/...

## load: wrk against the running binary beside a bare net/http handler (see BENCHMARKS.md)
load: build
	bash scripts/load.sh

clean:
	rm -rf $(BIN) reports
