#!/usr/bin/env bash
# load.sh measures the running sandbox binary beside a bare net/http
# handler, in the same run, with wrk (Debian package wrk) on loopback:
# start-up to first answer, GET status and POST create throughput and
# latency, and peak RSS. Bounded: each wrk phase runs DURATION seconds.
#
#   bash cmd/loadbench/load.sh            (make load builds bin/ first)
#
# Each comparison runs ROUNDS rounds of "bare handler, then sandbox", with
# the same requests, and reports every round's ratio and their median: the
# machine's speed drifts (other tenants), and a ratio measured within one
# round is what stays comparable.
#
# Environment: DURATION (default 5s a run), ROUNDS (default 3),
# CONNECTIONS (default 32), THREADS (1), POOL_SIZE (500).
set -euo pipefail
cd "$(dirname "$0")/../.."
SANDBOX_PORT=18181
BARE_PORT=18182
# shellcheck source=cmd/loadbench/lib.sh
. cmd/loadbench/lib.sh

command -v wrk >/dev/null || { echo "load.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
[ -x $bin/sandbox ] && [ -x $bin/loadbench ] || { echo "build first: make build" >&2; exit 1; }

journal() { # the journal's own account of its size after a phase
	curl -fsS "http://127.0.0.1:$SANDBOX_PORT/_sandbox/journal?limit=1" |
		sed -E 's/.*"total":([0-9]+).*"dropped":([0-9]+).*"bytes":([0-9]+).*/journal: \1 entries kept, \2 dropped, \3 bytes/'
}

echo "== start-up to first answer (5 runs, ms)"
for i in 1 2 3 4 5; do
	$bin/loadbench startup "http://127.0.0.1:$SANDBOX_PORT/_sandbox/health" -- \
		$bin/sandbox --addr 127.0.0.1:$SANDBOX_PORT --log-level error
done

$bin/loadbench bare --addr 127.0.0.1:$BARE_PORT & pids+=($!)
$bin/sandbox --addr 127.0.0.1:$SANDBOX_PORT --clock frozen --log-level error >/dev/null & sandbox_pid=$!; pids+=($sandbox_pid)
wait_ok "http://127.0.0.1:$BARE_PORT/" && wait_ok "http://127.0.0.1:$SANDBOX_PORT/_sandbox/health"
echo "== sandbox idle RSS: $(rss $sandbox_pid)"

token=$(curl -fsS -X POST "http://127.0.0.1:$SANDBOX_PORT/oauth/token" -d grant_type=client_credentials \
	-d client_id=demo-partner -d client_secret=demo-secret -d 'scope=marketplace.order:read marketplace.order:create' |
	sed -E 's/.*"access_token":"([^"]+)".*/\1/')
order='{"externalSubscriptionId":"EXT","tradingPartnerId":"TP-DEMO-001","customer":{"companyName":"Load Test Inc","contact":{"firstName":"Lo","lastName":"Ad","email":"load@example.com"},"address":{"country":"US"}},"orderLines":[{"productId":"2c92a00d76f0d5060176f2fb0a5029ff","quantity":25}]}'
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SANDBOX_PORT/api/v1/marketplace/subscriptions" \
	-H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "${order/EXT/load-status}"

# create.lua posts orders; ids cycle through POOL distinct values
# (POOL=0: every request a new id).
cat > "$tmp/create.lua" <<LUA
local counter = 0
local pool = tonumber(os.getenv("POOL") or "0")
local template = [[$order]]
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local prefix = os.getenv("PREFIX") or "x"
request = function()
  counter = counter + 1
  local n = counter
  if pool > 0 then n = counter % pool end
  local body = template:gsub("EXT", "load-" .. prefix .. "-" .. n)
  return wrk.format(nil, nil, nil, body)
end
LUA

# compare NAME PATH [wrk args...]: ROUNDS rounds of the bare handler then
# the sandbox on PATH, and the median ratio.
compare() {
	local name=$1 path=$2
	shift 2
	echo "== $name: $ROUNDS rounds of bare handler then sandbox, $DURATION each"
	local ratios=() round
	for round in $(seq 1 "$ROUNDS"); do
		# order ids: new ones every round, unless SAME_IDS names them
		read -r brps bp50 bp99 _ < <(PREFIX="${SAME_IDS:-b$round-$RANDOM}" run "http://127.0.0.1:$BARE_PORT$path" "$@")
		read -r srps sp50 sp99 sbad < <(PREFIX="${SAME_IDS:-s$round-$RANDOM$RANDOM}" run "http://127.0.0.1:$SANDBOX_PORT$path" "$@")
		round_line "$round" "$brps" "$bp50" "$bp99" "$srps" "$sp50" "$sp99" "$sbad"
		ratios+=("$(awk -v s="$srps" -v b="$brps" 'BEGIN {printf "%.1f", 100 * s / b}')")
	done
	echo "   median: $(median "${ratios[@]}") % of the bare handler"
}

status_path=/api/v1/marketplace/subscriptions/load-status
create_path=/api/v1/marketplace/subscriptions
compare "GET status" $status_path -H "Authorization: Bearer $token"
echo "   sandbox RSS after GET load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid); $(journal)"
# ids cycle through the same POOL_SIZE values in every round: the first
# pass creates them, everything after replays.
SAME_IDS=bounded POOL=${POOL_SIZE:-500} compare "POST create, ${POOL_SIZE:-500} distinct ids, then replays" $create_path -s "$tmp/create.lua"
echo "   sandbox RSS after bounded create load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid); $(journal)"
POOL=0 compare "POST create, every order new" $create_path -s "$tmp/create.lua"
echo "   sandbox RSS after unbounded create load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid) (every order is kept); $(journal)"
