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
#   PLATFORMS          platforms to build, blank separated (default linux/$GOARCH): with
#                      more than one, each image is tagged TAG-ARCH (marketplace-sandbox:dev-arm64)
#                      and the host's architecture TAG as well; the static binaries of each
#                      stay in bin/dist/linux-ARCH/ (what a release would publish)
#   GOARCH             architecture to build for     (default: the host's)
#   GO                 the go command                (default go)
set -euo pipefail

cd "$(dirname "$0")/.."
# go.mod's toolchain line, which a machine with GOTOOLCHAIN=local ignores.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.11}
GO=${GO:-go}
sandbox_image=${SANDBOX_IMAGE:-marketplace-sandbox:dev}
conformance_image=${CONFORMANCE_IMAGE:-marketplace-sandbox-conformance:dev}
host_arch=$($GO env GOARCH)
platforms=${PLATFORMS:-linux/${GOARCH:-$host_arch}}
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)

build() { # build ARCH TARGET TAG
	# --platform works FROM scratch with the legacy builder because each
	# stage starts with COPY (see the Dockerfile).
	docker build --quiet --platform "linux/$1" --build-arg VERSION="$version" \
		--target "$2" --tag "$3" . >/dev/null
	printf '%-45s %-12s %s\n' "$3" "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$3")" \
		"$(docker image inspect --format '{{.Size}}' "$3" | awk '{printf "%.1f MB", $1/1e6}')"
}

read -r -a list <<<"$platforms"
for platform in "${list[@]}"; do
	case $platform in
	linux/amd64 | linux/arm64) arch=${platform#linux/} ;;
	*) echo "build-images.sh: platform $platform: want linux/amd64 or linux/arm64" >&2; exit 2 ;;
	esac
	rm -rf bin/image
	# reports/ stays empty: it becomes the conformance image's writable /reports.
	mkdir -p bin/image/reports
	# The version `sandbox version` and GET /_sandbox report (sandbox/buildinfo).
	CGO_ENABLED=0 GOOS=linux GOARCH="$arch" $GO build -trimpath \
		-ldflags="-s -w -X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.version=$version -X github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo.revision=$(git rev-parse HEAD 2>/dev/null)" \
		-o bin/image/ ./cmd/sandbox ./cmd/conformance
	if [ "${#list[@]}" = 1 ]; then
		build "$arch" sandbox "$sandbox_image"
		build "$arch" conformance "$conformance_image"
		continue
	fi
	mkdir -p "bin/dist/linux-$arch"
	cp bin/image/sandbox bin/image/conformance "bin/dist/linux-$arch/"
	build "$arch" sandbox "$sandbox_image-$arch"
	build "$arch" conformance "$conformance_image-$arch"
	if [ "$arch" = "$host_arch" ]; then
		docker tag "$sandbox_image-$arch" "$sandbox_image"
		docker tag "$conformance_image-$arch" "$conformance_image"
	fi
done
