#!/usr/bin/env bash
# ci-docker.sh is the container half of CI, run by .ci/run after the Go
# tests. On a machine where no Docker engine answers it installs one
# (Debian's docker.io) and starts it; then it
#
#   1. builds both images (build-images.sh) and prints their sizes,
#   2. starts the sandbox image and measures start-to-healthy, both as the
#      host sees it (polling /_sandbox/health) and as Docker's HEALTHCHECK
#      reports it,
#   3. runs the conformance image against that container (plain docker run),
#   4. runs the same through compose.yaml (docker compose v2, or Debian's
#      docker-compose v1),
#   5. runs the testcontainers module's tests with CI=true, so a missing
#      engine fails instead of skipping,
#   6. runs the GitLab CI template's jobs with its service started from the
#      sandbox image (ci/gitlab_test.go, MPS_TEST_SERVICE_IMAGE),
#   7. runs the GitHub Action through nektos/act in self-hosted mode
#      (installed from the Go module proxy when missing; ci/act_test.go),
#   8. builds and checks the linux/amd64 and linux/arm64 images
#      (ci/multiarch.sh: installs qemu-user-static and docker-registry).
#
# Environment: DOCKERD_LOG (default /tmp/dockerd.log), SANDBOX_IMAGE and
# CONFORMANCE_IMAGE (default the :dev tags make image builds).
set -euo pipefail

cd "$(dirname "$0")/.."
# go.mod's toolchain line, which a machine with GOTOOLCHAIN=local ignores.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.11}
export SANDBOX_IMAGE=${SANDBOX_IMAGE:-marketplace-sandbox:dev}
export CONFORMANCE_IMAGE=${CONFORMANCE_IMAGE:-marketplace-sandbox-conformance:dev}
dockerd_log=${DOCKERD_LOG:-/tmp/dockerd.log}
run_id="mps-ci-$$"
dockerd_pid=""

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'ci-docker: %s\n' "$*" >&2; exit 1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND until it succeeds
# or the deadline passes.
wait_for() {
	local what=$1 deadline=$(($(date +%s) + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "timed out waiting for $what" >&2
			return 1
		fi
		sleep 0.05
	done
}

cleanup() {
	docker rm -f "$run_id-sandbox" "$run_id-net-sandbox" >/dev/null 2>&1 || true
	docker network rm "$run_id" >/dev/null 2>&1 || true
	if [ -n "${compose:-}" ]; then $compose -p "$run_id" down --remove-orphans >/dev/null 2>&1 || true; fi
	if [ -n "$dockerd_pid" ]; then
		as_root kill "$dockerd_pid" 2>/dev/null || true
		wait "$dockerd_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

ensure_engine() {
	if docker info >/dev/null 2>&1; then
		return
	fi
	if ! command -v dockerd >/dev/null 2>&1; then
		step "installing Docker (Debian docker.io)"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq docker.io >/dev/null
	fi
	step "starting dockerd (log: $dockerd_log)"
	# Started directly (not through as_root, whose subshell would get the
	# pid), so that cleanup stops this very dockerd.
	if [ "$(id -u)" = 0 ]; then
		dockerd >"$dockerd_log" 2>&1 &
	else
		sudo dockerd >"$dockerd_log" 2>&1 &
	fi
	dockerd_pid=$!
	local started
	started=$(date +%s%N)
	if ! wait_for "docker info" 60 docker info; then
		tail -n 40 "$dockerd_log" >&2
		fail "dockerd did not answer within 60s"
	fi
	echo "engine up after $(ms_since "$started") ms: $(docker version --format '{{.Server.Version}}')"
}

# pick_compose sets $compose to a working Compose command, installing
# Debian's docker-compose (v1) when neither v2 nor v1 is present.
pick_compose() {
	if docker compose version >/dev/null 2>&1; then
		compose="docker compose"
	elif command -v docker-compose >/dev/null 2>&1; then
		compose="docker-compose"
	else
		step "installing Debian docker-compose (Compose v2 is not packaged by Debian)"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq docker-compose >/dev/null
		compose="docker-compose"
	fi
	echo "compose: $($compose version | head -n 1)"
}

# answers_health PORT: the sandbox published on 127.0.0.1:PORT answers
# /_sandbox/health with 200 (curl if present, else our own binary's probe).
answers_health() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null "http://127.0.0.1:$1/_sandbox/health"
	else
		bin/image/sandbox healthcheck --addr "127.0.0.1:$1"
	fi
}

# is_healthy CONTAINER: Docker's own HEALTHCHECK verdict is "healthy".
is_healthy() {
	[ "$(docker inspect --format '{{.State.Health.Status}}' "$1")" = healthy ]
}

ensure_engine

step "building images"
testcontainers/build-images.sh
budget=20000000 # bytes, the target of issue #5
for image in "$SANDBOX_IMAGE" "$CONFORMANCE_IMAGE"; do
	size=$(docker image inspect --format '{{.Size}}' "$image")
	if [ "$size" -gt "$budget" ]; then
		echo "note: $image is $size bytes, over the $budget-byte budget"
	fi
done

step "sandbox container: start to healthy"
started=$(date +%s%N)
docker run -d --name "$run_id-sandbox" -p 127.0.0.1::8080 "$SANDBOX_IMAGE" >/dev/null
run_ms=$(ms_since "$started")
port=$(docker port "$run_id-sandbox" 8080/tcp | head -n 1)
port=${port##*:}
wait_for "health" 10 answers_health "$port" ||
	{ docker logs "$run_id-sandbox" >&2; fail "the sandbox did not answer /_sandbox/health within 10s"; }
echo "docker run returned after ${run_ms} ms; /_sandbox/health answered 200 after $(ms_since "$started") ms"
wait_for "docker health" 30 is_healthy "$run_id-sandbox" ||
	fail "Docker's HEALTHCHECK did not report healthy within 30s: $(docker inspect --format '{{json .State.Health}}' "$run_id-sandbox")"
echo "Docker reports healthy after $(ms_since "$started") ms (first probe runs one --interval after start)"
echo "runs as user $(docker inspect --format '{{.Config.User}}' "$run_id-sandbox")"
docker rm -f "$run_id-sandbox" >/dev/null

step "conformance image against the sandbox container (docker run)"
docker network create "$run_id" >/dev/null
docker run -d --name "$run_id-net-sandbox" --network "$run_id" --network-alias sandbox "$SANDBOX_IMAGE" >/dev/null
mkdir -p reports/docker-run
# The harness receives Microsoft's webhooks: the sandbox container calls it
# by its alias on the network.
docker run --rm --network "$run_id" --network-alias conformance --user "$(id -u):$(id -g)" -v "$PWD/reports/docker-run:/reports" \
	"$CONFORMANCE_IMAGE" --target http://sandbox:8080 --quiet \
	--webhook-listen 0.0.0.0:9000 --webhook-url http://conformance:9000/ \
	--junit /reports/junit.xml --json /reports/conformance.json --html /reports/conformance.html
ls reports/docker-run
# Both packs ran, and webhooks reached the harness in its container.
grep -q '"id": "token-success"' reports/docker-run/conformance.json || fail "the GitLab pack did not run in the container"
grep -q '"purpose": "webhook delivered to the harness"' reports/docker-run/conformance.json ||
	fail "no Microsoft webhook reached the conformance container"

step "compose.yaml: sandbox, then conformance once it is healthy"
pick_compose
mkdir -p reports
# SANDBOX_PORT=0: publish on a free loopback port, so CI never collides
# with a sandbox already running on 8080.
SANDBOX_PORT=0 REPORTS_USER="$(id -u):$(id -g)" \
	$compose -p "$run_id" up --no-color --exit-code-from conformance >reports/compose.log 2>&1 ||
	{ tail -n 40 reports/compose.log >&2; fail "compose run failed (log: reports/compose.log)"; }
grep -E '[0-9]+ scenarios:' reports/compose.log || true
ls reports/junit.xml reports/conformance.json reports/conformance.html
grep -q '"purpose": "webhook delivered to the harness"' reports/conformance.json ||
	fail "compose: no Microsoft webhook reached the conformance service"

step "testcontainers module tests"
(cd testcontainers && go vet ./... && CI=true go test -race -count=1 ./...)

step "GitLab CI template: its jobs with the service started from $SANDBOX_IMAGE"
MPS_TEST_SERVICE_IMAGE=$SANDBOX_IMAGE go test -count=1 -run '^TestGitLabTemplate$' ./ci/

step "GitHub Action through nektos/act (self-hosted, offline)"
act_bin=$(command -v act || true)
if [ -z "$act_bin" ]; then
	mkdir -p bin/tools
	GOBIN="$PWD/bin/tools" go install github.com/nektos/act@v0.2.89
	act_bin=$PWD/bin/tools/act
fi
MPS_ACT=$act_bin go test -count=1 -run '^TestActionWithAct$' ./ci/

step "images for linux/amd64 and linux/arm64"
ci/multiarch.sh
