#!/usr/bin/env bash
# build-images.sh builds the sandbox and conformance images from the one
# Dockerfile at the repository root (what `make image` runs).
#
# The binaries are compiled here, on the host, static (CGO_ENABLED=0) and
# stripped, into bin/image/; the Dockerfile only copies them into scratch
# images, so no base image is pulled and no registry is needed.
#
# Environment:
#   SANDBOX_IMAGE      tag of the sandbox image      (default marketplace-sandbox:dev)
#   CONFORMANCE_IMAGE  tag of the conformance image  (default marketplace-sandbox-conformance:dev)
#   GOARCH             architecture to build for     (default: the host's)
#   GO                 the go command                (default go)
set -euo pipefail

cd "$(dirname "$0")/.."
# go.mod's toolchain line, which a machine with GOTOOLCHAIN=local ignores.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.11}
GO=${GO:-go}
sandbox_image=${SANDBOX_IMAGE:-marketplace-sandbox:dev}
conformance_image=${CONFORMANCE_IMAGE:-marketplace-sandbox-conformance:dev}
arch=${GOARCH:-$($GO env GOARCH)}
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)

rm -rf bin/image
# reports/ stays empty: it becomes the conformance image's writable /reports.
mkdir -p bin/image/reports
CGO_ENABLED=0 GOOS=linux GOARCH="$arch" $GO build -trimpath -ldflags='-s -w' \
	-o bin/image/ ./cmd/sandbox ./cmd/conformance

build() { # build TARGET TAG
	docker build --quiet --platform "linux/$arch" --build-arg VERSION="$version" \
		--target "$1" --tag "$2" . >/dev/null
	printf '%-45s %s\n' "$2" "$(docker image inspect --format '{{.Size}}' "$2" | awk '{printf "%.1f MB", $1/1e6}')"
}
build sandbox "$sandbox_image"
build conformance "$conformance_image"
