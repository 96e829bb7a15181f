#!/usr/bin/env bash
# multiarch.sh builds the images for linux/amd64 and linux/arm64 and checks
# them (what `make images-multiarch` and testcontainers/ci-docker.sh run):
#
#   1. build-images.sh with PLATFORMS="linux/amd64 linux/arm64": TAG-amd64,
#      TAG-arm64, and TAG for the host's architecture; the static binaries
#      of each stay in bin/dist/linux-ARCH/;
#   2. each image's os/architecture metadata is the one asked for;
#   3. the arm64 binaries really run, under qemu-user-static: the sandbox
#      serves and answers its own arm64 healthcheck, the conformance runner
#      runs a scenario pack against it, and the arm64 image starts in Docker
#      with qemu as its entrypoint (no binfmt_misc registration needed);
#   4. a multi-arch manifest list of both, pushed to a registry on loopback
#      (Debian's docker-registry) and read back with both platforms.
#
# In CI (CI=true) missing tools are installed from Debian; by hand, steps 3
# and 4 are skipped with a message when they are missing. Image sizes are
# printed per architecture. Environment: SANDBOX_IMAGE, CONFORMANCE_IMAGE
# (default the :dev tags), GO.
set -euo pipefail

cd "$(dirname "$0")/.."
sandbox_image=${SANDBOX_IMAGE:-marketplace-sandbox:dev}
conformance_image=${CONFORMANCE_IMAGE:-marketplace-sandbox-conformance:dev}
work=$(mktemp -d)
pids=()
containers=()

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'multiarch: %s\n' "$*" >&2; exit 1; }
cleanup() {
	for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# have_or_install COMMAND PACKAGE: COMMAND is there, or is installed in CI.
have_or_install() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${CI:-}" = true ] || return 1
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	command -v "$1" >/dev/null 2>&1
}

# wait_for_line FILE PATTERN: poll FILE (a log) for PATTERN, for 30 s.
wait_for_line() {
	local deadline=$(($(date +%s) + 30))
	until grep -qE "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || { cat "$1" >&2; fail "timed out waiting for '$2' in $1"; }
		sleep 0.1
	done
}

# wait_healthy URL: poll URL/_sandbox/health until it answers 200, 30 s.
wait_healthy() {
	local deadline=$(($(date +%s) + 30))
	until curl -fsS -o /dev/null "$1/_sandbox/health" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "$1 not healthy within 30s"
		sleep 0.1
	done
}

step "building linux/amd64 and linux/arm64"
PLATFORMS="linux/amd64 linux/arm64" SANDBOX_IMAGE=$sandbox_image CONFORMANCE_IMAGE=$conformance_image \
	testcontainers/build-images.sh 2>&1 | grep -v -e DEPRECATED -e 'Install the buildx' -e 'docs.docker.com/go/buildx' -e '^$'

step "image metadata"
for arch in amd64 arm64; do
	for image in "$sandbox_image-$arch" "$conformance_image-$arch"; do
		got=$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$image")
		[ "$got" = "linux/$arch" ] || fail "$image is $got, want linux/$arch"
		echo "$image: $got, $(docker image inspect --format '{{.Size}}' "$image") bytes"
	done
	file_arch=$(od -An -tx1 -j18 -N2 "bin/dist/linux-$arch/sandbox" | tr -d ' ')
	case $arch:$file_arch in
	amd64:3e00 | arm64:b700) ;;
	*) fail "bin/dist/linux-$arch/sandbox has ELF machine $file_arch" ;;
	esac
done

step "the arm64 binaries under qemu"
if ! have_or_install qemu-aarch64-static qemu-user-static; then
	echo "SKIP: qemu-aarch64-static is not installed (apt-get install qemu-user-static; CI installs it)"
else
	qemu=$(command -v qemu-aarch64-static)
	"$qemu" bin/dist/linux-arm64/sandbox --addr 127.0.0.1:0 --clock frozen >"$work/arm64.log" 2>&1 &
	pids+=("$!")
	wait_for_line "$work/arm64.log" 'listening on 127\.0\.0\.1:[0-9]+'
	addr=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$work/arm64.log" | head -n 1)
	addr=${addr#listening on }
	"$qemu" bin/dist/linux-arm64/sandbox healthcheck --addr "$addr"
	"$qemu" bin/dist/linux-arm64/conformance --target "http://$addr" --api gitlab --label-filter token --quiet
	echo "arm64 sandbox and conformance ran under $qemu"

	id=$(docker run -d --platform linux/arm64 -p 127.0.0.1::8080 \
		-v "$qemu:/qemu-aarch64-static:ro" --entrypoint /qemu-aarch64-static "$sandbox_image-arm64" /sandbox)
	containers+=("$id")
	port=$(docker port "$id" 8080/tcp | head -n 1)
	wait_healthy "http://127.0.0.1:${port##*:}"
	echo "the arm64 image serves /_sandbox/health (its /sandbox run by qemu in the container)"
fi

step "multi-arch manifest list"
if ! have_or_install docker-registry docker-registry; then
	echo "SKIP: no local registry (apt-get install docker-registry; CI installs it): per-arch tags only"
	exit 0
fi
port=$((20000 + RANDOM % 20000)) # a registry cannot report a port it picked
cat >"$work/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=("$!")
deadline=$(($(date +%s) + 30))
until curl -fs -o /dev/null "http://127.0.0.1:$port/v2/"; do
	[ "$(date +%s)" -lt "$deadline" ] || { cat "$work/registry.log" >&2; fail "registry did not answer"; }
	sleep 0.1
done
# Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
repo=127.0.0.1:$port/${sandbox_image%%:*}
tag=${sandbox_image##*:}
for arch in amd64 arm64; do
	docker tag "$sandbox_image-$arch" "$repo:$tag-$arch"
	docker push -q "$repo:$tag-$arch" >/dev/null
	docker rmi "$repo:$tag-$arch" >/dev/null
done
docker manifest rm "$repo:$tag" >/dev/null 2>&1 || true
docker manifest create --insecure "$repo:$tag" "$repo:$tag-amd64" "$repo:$tag-arm64" >/dev/null
docker manifest push --insecure --purge "$repo:$tag" >/dev/null
platforms=$(docker manifest inspect --insecure "$repo:$tag" |
	grep -oE '"architecture": "[a-z0-9]+"' | sort | tr '\n' ' ')
[ "$platforms" = '"architecture": "amd64" "architecture": "arm64" ' ] || fail "manifest list platforms: $platforms"
echo "$repo:$tag: a manifest list of linux/amd64 and linux/arm64"
