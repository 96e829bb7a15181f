#!/usr/bin/env bash
# load-microsoft.sh measures the sandbox's Microsoft fulfillment API beside
# a bare net/http handler that writes an answer of the same size, in the
# same run, with wrk on loopback: GET a subscription and resolve a
# marketplace token, then peak RSS. Token issue and webhook deliveries are
# measured by Go benchmarks (BENCHMARKS.md gives the commands).
#
#   bash cmd/loadbench/load-microsoft.sh   (make load-microsoft builds bin/ first)
#
# Environment: DURATION (default 5s a run), WARMUP (2s, once per phase, figures discarded), ROUNDS (3), CONNECTIONS (32), THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/../.."
SANDBOX_PORT=18183
BARE_PORT=18184
# shellcheck source=cmd/loadbench/lib.sh
. cmd/loadbench/lib.sh

command -v wrk >/dev/null || { echo "load-microsoft.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
[ -x $bin/sandbox ] && [ -x $bin/loadbench ] || { echo "build first: make build" >&2; exit 1; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }

S=http://127.0.0.1:$SANDBOX_PORT
$bin/sandbox --addr 127.0.0.1:$SANDBOX_PORT --clock frozen --log-level error >/dev/null & sandbox_pid=$!; pids+=($sandbox_pid)
wait_ok "$S/_sandbox/health"
echo "== sandbox idle RSS: $(rss $sandbox_pid)"

fx=$(curl -fsS "$S/_sandbox/microsoft/fixtures")
# the first publisher (contoso), whose offer is bought below
read -r tenant client secret < <(echo "$fx" | python3 -c 'import sys, json
p = json.load(sys.stdin)["publishers"][0]
print(p["tenantId"], p["clientId"], p["clientSecret"])')
token=$(curl -fsS -X POST "$S/$tenant/oauth2/v2.0/token" -d grant_type=client_credentials -d "client_id=$client" \
	--data-urlencode "client_secret=$secret" --data-urlencode 'scope=20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default' | field access_token)
purchase=$(curl -fsS -X POST "$S/_sandbox/microsoft/purchases" -H 'Content-Type: application/json' \
	-d '{"offerId":"contoso-analytics","planId":"team-seats","quantity":5}')
sub=$(echo "$purchase" | field subscriptionId)
# the token as the landing page's query carries it, then URL-decoded as a publisher must
marketplace_token=$(echo "$purchase" | field token | python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()))')
get_path="/api/saas/subscriptions/$sub?api-version=2018-08-31"
resolve_path="/api/saas/subscriptions/resolve?api-version=2018-08-31"
get_bytes=$(curl -fsS -o /dev/null -w '%{size_download}' "$S$get_path" -H "Authorization: Bearer $token")
resolve_bytes=$(curl -fsS -o /dev/null -w '%{size_download}' -X POST "$S$resolve_path" -H "Authorization: Bearer $token" \
	-H "x-ms-marketplace-token: $marketplace_token" -H 'Content-Type: application/json')

# compare NAME BYTES PATH [wrk args...]: ROUNDS rounds of a bare handler
# answering BYTES bytes, then the sandbox on PATH, and the median ratio.
compare() {
	local name=$1 bytes=$2 path=$3
	shift 3
	$bin/loadbench bare --addr 127.0.0.1:$BARE_PORT --body-bytes "$bytes" & local bare=$!
	wait_ok "http://127.0.0.1:$BARE_PORT/"
	echo "== $name ($bytes-byte answers): $ROUNDS rounds of bare handler then sandbox, $DURATION each"
	local ratios=() round
	warm "http://127.0.0.1:$BARE_PORT$path" "$@"
	warm "$S$path" "$@"
	for round in $(seq 1 "$ROUNDS"); do
		read -r brps bp50 bp99 _ < <(run "http://127.0.0.1:$BARE_PORT$path" "$@")
		read -r srps sp50 sp99 sbad < <(run "$S$path" "$@")
		round_line "$round" "$brps" "$bp50" "$bp99" "$srps" "$sp50" "$sp99" "$sbad"
		ratios+=("$(awk -v s="$srps" -v b="$brps" 'BEGIN {printf "%.1f", 100 * s / b}')")
	done
	kill $bare; wait $bare 2>/dev/null || true
	echo "   median: $(median "${ratios[@]}") % of the bare handler"
}

compare "GET subscription" "$get_bytes" "$get_path" -H "Authorization: Bearer $token"
echo "   sandbox RSS after GET load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid)"
cat > "$tmp/resolve.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
compare "POST resolve" "$resolve_bytes" "$resolve_path" -s "$tmp/resolve.lua" -H "Authorization: Bearer $token" \
	-H "x-ms-marketplace-token: $marketplace_token"
echo "   sandbox RSS after resolve load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid)"
