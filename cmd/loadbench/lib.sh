# lib.sh: what the load scripts share. Source it from the repository's root
# after setting SANDBOX_PORT and BARE_PORT: it sets the run's defaults
# (DURATION 5s, ROUNDS 3, CONNECTIONS 32, THREADS 1), checks them, and
# kills every process listed in pids on exit.
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
bin=bin
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
# The scripts start their own sandbox on loopback and drive it through its
# control API: a control token in the caller's environment is not theirs.
unset SANDBOX_CONTROL_TOKEN SANDBOX_CONTROL_TOKEN_FILE

# wrk takes a bad duration without complaint and then never stops, so
# DURATION and WARMUP are checked here: a whole number, with s, m or h.
for setting in "DURATION=${DURATION:-}" "WARMUP=${WARMUP:-2s}"; do
	[[ ${setting#*=} =~ ^[0-9]+[smh]?$ ]] || { echo "${setting%%=*}: '${setting#*=}' is not a duration wrk takes (like 5s, 2m)" >&2; exit 2; }
done
for setting in "ROUNDS=${ROUNDS:-1}" "CONNECTIONS=${CONNECTIONS:-1}" "THREADS=${THREADS:-1}"; do
	[[ ${setting#*=} =~ ^[1-9][0-9]*$ ]] || { echo "${setting%%=*}: '${setting#*=}' is not a whole number from 1" >&2; exit 2; }
done

rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
wait_ok() { for _ in $(seq 1 500); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.01; done; return 1; }

# run URL [wrk args...]: one wrk run; prints "requests/s p50 p99 non2xx".
run() {
	local url=$1
	shift
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | awk '
		/Requests\/sec/ {rps = $2}
		/^ +50%/ {p50 = $2}
		/^ +99%/ {p99 = $2}
		/Non-2xx/ {bad = $NF}
		END {printf "%s %s %s %s\n", rps, p50, p99, bad + 0}'
}

# warm URL [wrk args...]: WARMUP (default 2s) of load whose figures are
# thrown away, so that the rounds measure a process whose heap, journal
# ring and connection buffers have reached their steady size (the first
# seconds of a fresh process run slower while its pages fault in).
warm() {
	local url=$1
	shift
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-2s}" "$@" "$url" >/dev/null
}

# round_line N BRPS BP50 BP99 SRPS SP50 SP99 SBAD: prints one round, the
# bare handler beside the sandbox, and the sandbox's share of it.
round_line() {
	local ratio
	ratio=$(awk -v s="$5" -v b="$2" 'BEGIN {printf "%.1f", 100 * s / b}')
	printf '   round %d: bare %8.0f req/s (p50 %s, p99 %s) | sandbox %8.0f req/s (p50 %s, p99 %s) | %s %%' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$ratio"
	[ "$8" = 0 ] && echo || echo "  ($8 answers not 2xx!)"
}

# median RATIO...: the median of the rounds' ratios.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
