#!/bin/sh
# run-sandbox.sh is the whole of "one-line CI": the GitHub Action
# (action.yml) and the GitLab CI template (ci/gitlab/) only map their
# inputs onto the MPS_* variables below and call it, and ci/action_test.go
# runs the action's steps and the template's job through it, so the thing
# tested is the thing used. POSIX sh: GitLab job images may have no bash.
#
#   run-sandbox.sh install   binaries into $MPS_WORK_DIR/bin (a given release, or built with go)
#   run-sandbox.sh start     the sandbox in the background, then wait until `sandbox healthcheck` passes
#                            (with MPS_SANDBOX_URL set: wait for that sandbox instead, e.g. a GitLab service)
#   run-sandbox.sh run       the conformance pack, certify-client, or a plain command; exits with its code
#   run-sandbox.sh stop      stop the sandbox started by `start` (TERM, then KILL after MPS_STOP_TIMEOUT)
#   run-sandbox.sh all       install, start, run, stop; exits with the code of run
#
# Variables (empty means the default):
#   MPS_MODE            conformance (default) | certify | command
#   MPS_MARKETPLACES    conformance: APIs checked (gitlab,microsoft; default both);
#                       certify: the one API the client calls (default gitlab)
#   MPS_LABELS          conformance: a label filter (conformance --label-filter)
#   MPS_COMMAND         certify / command: the partner's command, run with sh -c
#   MPS_SUITE           certify: the suite (default that of the API)
#   MPS_ARGS            extra flags for conformance or certify-client (split on blanks)
#   MPS_CONFIG          a sandbox YAML configuration file (SANDBOX_CONFIG)
#   MPS_CLOCK           the sandbox clock (default frozen for conformance, real otherwise)
#   MPS_ADDR            where the sandbox listens (default 127.0.0.1:8080)
#   MPS_SANDBOX_URL     a sandbox already running (a service): nothing is started or stopped
#   MPS_WEBHOOK_URL     conformance: where a sandbox in another container reaches the harness
#                       (the harness then listens on 0.0.0.0:${MPS_WEBHOOK_PORT:-9000})
#   MPS_CONTROL_TOKEN   the sandbox's control token (SANDBOX_CONTROL_TOKEN), also given to the command
#   MPS_REPORTS_DIR     reports (default sandbox-reports): junit.xml, report.json, report.html, sandbox.log
#   MPS_SANDBOX_BIN     a released sandbox binary (a path or a URL); MPS_CONFORMANCE_BIN likewise
#   MPS_SOURCE          the repository to build from with go (default: this script's repository)
#   MPS_WORK_DIR        binaries and state (default a new temporary directory; written to
#                       $GITHUB_ENV when set, so later steps of an action find it)
#   MPS_WAIT            seconds to wait for health (default 30); MPS_STOP_TIMEOUT for the stop (10)
#
# Exit codes: those of the runner (conformance: 0 passed, 1 failed, 2 usage
# or nothing checked, 3 unreachable; certify-client adds 4, the command
# failed; command mode: the command's own), and 70 when the sandbox could
# not be installed or started.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

say() { printf 'marketplace-sandbox: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 70
}

reports_dir() { printf '%s' "${MPS_REPORTS_DIR:-sandbox-reports}"; }

# work_dir creates MPS_WORK_DIR once and hands it to later steps.
work_dir() {
	if [ -z "${MPS_WORK_DIR:-}" ]; then
		MPS_WORK_DIR=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/marketplace-sandbox.XXXXXX")
		export MPS_WORK_DIR
		if [ -n "${GITHUB_ENV:-}" ]; then
			printf 'MPS_WORK_DIR=%s\n' "$MPS_WORK_DIR" >>"$GITHUB_ENV"
		fi
	fi
	mkdir -p "$MPS_WORK_DIR/bin"
}

# fetch SOURCE DEST: a released binary from a path or a URL.
fetch() {
	case $1 in
	http://* | https://* | file://*)
		curl -fsSL --retry 3 -o "$2" "$1" || die "could not download $1"
		;;
	*)
		[ -f "$1" ] || die "no such binary: $1"
		cp "$1" "$2"
		;;
	esac
	chmod +x "$2"
}

install_binaries() {
	work_dir
	bin=$MPS_WORK_DIR/bin
	if [ -n "${MPS_SANDBOX_BIN:-}" ] || [ -n "${MPS_CONFORMANCE_BIN:-}" ]; then
		[ -n "${MPS_SANDBOX_BIN:-}" ] && [ -n "${MPS_CONFORMANCE_BIN:-}" ] ||
			die "give both sandbox-bin and conformance-bin, or neither (then both are built with go)"
		fetch "$MPS_SANDBOX_BIN" "$bin/sandbox"
		fetch "$MPS_CONFORMANCE_BIN" "$bin/conformance"
	else
		src=${MPS_SOURCE:-$(cd "$here/.." && pwd)}
		command -v go >/dev/null 2>&1 || die "go is not installed: install it, or give released binaries"
		[ -f "$src/go.mod" ] || die "no go.mod in $src to build from"
		say "building sandbox and conformance from $src"
		(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$bin/" ./cmd/sandbox ./cmd/conformance) ||
			die "go build failed"
	fi
	"$bin/sandbox" version >/dev/null 2>&1 || "$bin/sandbox" help >/dev/null 2>&1 ||
		die "$bin/sandbox does not run on this machine (wrong architecture?)"
}

bin() { printf '%s/bin/%s' "${MPS_WORK_DIR:?run install first}" "$1"; }

# host_port URL: the host:port part of an http URL.
host_port() {
	hp=${1#*://}
	hp=${hp%%/*}
	case $hp in *:*) ;; *) hp=$hp:80 ;; esac
	printf '%s' "$hp"
}

sandbox_url() {
	if [ -n "${MPS_SANDBOX_URL:-}" ]; then
		printf '%s' "${MPS_SANDBOX_URL%/}"
	else
		printf 'http://%s' "${MPS_ADDR:-127.0.0.1:8080}"
	fi
}

# wait_healthy: poll `sandbox healthcheck` (its own probe has a 2 s
# timeout) until it passes or MPS_WAIT seconds have gone; fail early when
# the process we started has exited.
wait_healthy() {
	deadline=$(($(date +%s) + ${MPS_WAIT:-30}))
	addr=$(host_port "$(sandbox_url)")
	# The configuration too: a sandbox serving TLS is probed over https.
	until SANDBOX_CONFIG=${MPS_CONFIG:-${SANDBOX_CONFIG:-}} "$(bin sandbox)" healthcheck --addr "$addr" >/dev/null 2>&1; do
		if [ -n "${pid:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$(reports_dir)/sandbox.log" >&2 || true
			die "the sandbox exited before it was healthy (log: $(reports_dir)/sandbox.log)"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || die "the sandbox at $addr was not healthy within ${MPS_WAIT:-30}s"
		sleep 0.2
	done
}

clock() {
	if [ -n "${MPS_CLOCK:-}" ]; then
		printf '%s' "$MPS_CLOCK"
	elif [ "${MPS_MODE:-conformance}" = conformance ]; then
		printf frozen
	else
		printf real
	fi
}

start() {
	work_dir
	mkdir -p "$(reports_dir)"
	if [ -n "${MPS_SANDBOX_URL:-}" ]; then
		say "waiting for the sandbox at $MPS_SANDBOX_URL"
		wait_healthy
		return
	fi
	set --
	if [ -n "${MPS_CONFIG:-}" ]; then
		[ -f "$MPS_CONFIG" ] || die "no such configuration file: $MPS_CONFIG"
		set -- SANDBOX_CONFIG="$MPS_CONFIG"
	fi
	# Only when given: the sandbox refuses SANDBOX_* names it does not know.
	if [ -n "${MPS_CONTROL_TOKEN:-}" ]; then
		set -- "$@" SANDBOX_CONTROL_TOKEN="$MPS_CONTROL_TOKEN"
	fi
	# In a session of its own where setsid exists: a runner that ends a
	# step's process group with the step (act's host mode does) must not
	# take the sandbox with it; stop ends it by its pid.
	detach=
	if command -v setsid >/dev/null 2>&1; then detach=setsid; fi
	$detach env "$@" SANDBOX_CLOCK="$(clock)" "$(bin sandbox)" --addr "${MPS_ADDR:-127.0.0.1:8080}" \
		>"$(reports_dir)/sandbox.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$MPS_WORK_DIR/sandbox.pid"
	wait_healthy
	say "sandbox healthy at $(sandbox_url) (pid $pid, log $(reports_dir)/sandbox.log)"
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		printf 'sandbox-url=%s\n' "$(sandbox_url)" >>"$GITHUB_OUTPUT"
	fi
}

stop() {
	[ -n "${MPS_WORK_DIR:-}" ] && [ -f "$MPS_WORK_DIR/sandbox.pid" ] || return 0
	pid=$(cat "$MPS_WORK_DIR/sandbox.pid")
	rm -f "$MPS_WORK_DIR/sandbox.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	deadline=$(($(date +%s) + ${MPS_STOP_TIMEOUT:-10}))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			say "the sandbox (pid $pid) did not stop on TERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	say "sandbox stopped"
}

# runner: the conformance pack, certify-client or the command, in the
# foreground, with its exit code returned.
runner() {
	dir=$(reports_dir)
	mkdir -p "$dir"
	url=$(sandbox_url)
	mode=${MPS_MODE:-conformance}
	# The command sees where the sandbox is (certify-client adds the
	# session's variables on top).
	SANDBOX_URL=$url
	export SANDBOX_URL
	if [ -n "${MPS_CONTROL_TOKEN:-}" ]; then
		SANDBOX_CONTROL_TOKEN=$MPS_CONTROL_TOKEN
		export SANDBOX_CONTROL_TOKEN
	fi
	set -f # MPS_ARGS is split on blanks, never globbed
	case $mode in
	conformance)
		[ -z "${MPS_COMMAND:-}" ] || die "mode conformance runs the pack: a command needs mode certify or command"
		set -- --target "$url" --wait "${MPS_WAIT:-30}s" --quiet \
			--junit "$dir/junit.xml" --json "$dir/report.json" --html "$dir/report.html"
		[ -z "${MPS_MARKETPLACES:-}" ] || set -- "$@" --api "$MPS_MARKETPLACES"
		[ -z "${MPS_LABELS:-}" ] || set -- "$@" --label-filter "$MPS_LABELS"
		[ -z "${MPS_WEBHOOK_URL:-}" ] ||
			set -- "$@" --webhook-listen "0.0.0.0:${MPS_WEBHOOK_PORT:-9000}" --webhook-url "$MPS_WEBHOOK_URL"
		# shellcheck disable=SC2086
		set -- "$@" ${MPS_ARGS:-}
		set +f
		"$(bin conformance)" "$@"
		;;
	certify)
		[ -n "${MPS_COMMAND:-}" ] || die "mode certify needs a command: the partner's client or its tests"
		case ${MPS_MARKETPLACES:-gitlab} in
		*,*) die "mode certify certifies against one marketplace, not ${MPS_MARKETPLACES}" ;;
		esac
		set -- certify-client --sandbox "$url" --api "${MPS_MARKETPLACES:-gitlab}" \
			--junit "$dir/junit.xml" --json "$dir/report.json" --html "$dir/report.html"
		[ -z "${MPS_SUITE:-}" ] || set -- "$@" --suite "$MPS_SUITE"
		# shellcheck disable=SC2086
		set -- "$@" ${MPS_ARGS:-}
		set +f
		"$(bin conformance)" "$@" -- sh -c "$MPS_COMMAND"
		;;
	command)
		set +f
		[ -n "${MPS_COMMAND:-}" ] || die "mode command needs a command"
		sh -c "$MPS_COMMAND"
		;;
	*)
		die "unknown mode '$mode': want conformance, certify or command"
		;;
	esac
}

case ${1:-} in
install) install_binaries ;;
start) start ;;
stop) stop ;;
run)
	status=0
	runner || status=$?
	say "${MPS_MODE:-conformance} exited $status (reports: $(reports_dir))"
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		printf 'exit-code=%s\n' "$status" >>"$GITHUB_OUTPUT"
	fi
	exit "$status"
	;;
all)
	install_binaries
	trap stop EXIT
	start
	status=0
	runner || status=$?
	say "${MPS_MODE:-conformance} exited $status (reports: $(reports_dir))"
	exit "$status"
	;;
*)
	echo "usage: run-sandbox.sh install|start|run|stop|all (see the comment at the top)" >&2
	exit 2
	;;
esac
