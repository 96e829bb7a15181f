#!/usr/bin/env bash
# load-metering.sh measures Microsoft's metering service (POST /api/usageEvent
# and POST /api/batchUsageEvent of 25) beside a bare net/http handler that
# answers as many bytes, in the same run, with wrk on loopback; then peak RSS.
# Every event sent is new, so every one is accepted: POOL metered
# subscriptions give POOL x 2 dimensions x 24 hours distinct events a day,
# wrk's script walks through them, and before each run the frozen clock
# moves a day on (a new day, a new token: tokens live an hour on that clock).
# A run that spends a whole day's events gets 409s, which the round line
# counts as answers not 2xx.
#
#   bash cmd/loadbench/load-metering.sh   (make load-metering builds bin/ first)
#
# Environment: DURATION (default 5s a run), WARMUP (2s, once per phase,
# figures discarded), ROUNDS (3), CONNECTIONS (32), THREADS (1), POOL (2000).
set -euo pipefail
cd "$(dirname "$0")/../.."
POOL=${POOL:-2000}
SANDBOX_PORT=18185
BARE_PORT=18186
# shellcheck source=cmd/loadbench/lib.sh
. cmd/loadbench/lib.sh
[[ $POOL =~ ^[1-9][0-9]*$ ]] || { echo "POOL: '$POOL' is not a whole number from 1" >&2; exit 2; }

command -v wrk >/dev/null || { echo "load-metering.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
[ -x $bin/sandbox ] && [ -x $bin/loadbench ] || { echo "build first: make build" >&2; exit 1; }

S=http://127.0.0.1:$SANDBOX_PORT
$bin/sandbox --addr 127.0.0.1:$SANDBOX_PORT --clock frozen --log-level error >/dev/null & sandbox_pid=$!; pids+=($sandbox_pid)
wait_ok "$S/_sandbox/health"
echo "== sandbox idle RSS: $(rss $sandbox_pid)"

# setup.py: POOL purchases of contoso's metered plan, each activated, over
# one kept-alive connection; prints the subscription ids, one a line.
cat > "$tmp/setup.py" <<'PY'
import http.client, json, sys, urllib.parse
host, port, pool = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection(host, port)
def call(method, path, body, headers):
    c.request(method, path, body, headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None
c.request("GET", "/_sandbox/microsoft/fixtures"); p = json.loads(c.getresponse().read())["publishers"][0]
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": p["clientId"], "client_secret": p["clientSecret"],
                               "scope": "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"})
tok = call("POST", f"/{p['tenantId']}/oauth2/v2.0/token", form, {"Content-Type": "application/x-www-form-urlencoded"})["access_token"]
auth = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
for _ in range(pool):
    sub = call("POST", "/_sandbox/microsoft/purchases", '{"offerId":"contoso-analytics","planId":"metered"}', {"Content-Type": "application/json"})["subscriptionId"]
    call("POST", f"/api/saas/subscriptions/{sub}/activate?api-version=2018-08-31", '{"planId":"metered"}', auth)
    print(sub)
PY
python3 "$tmp/setup.py" 127.0.0.1 $SANDBOX_PORT "$POOL" > "$tmp/subs"
echo "== $POOL metered subscriptions bought and activated: $((POOL * 48)) distinct events a day"

# token: a fresh v2 token of contoso's, on the sandbox clock.
read -r tenant client secret < <(curl -fsS "$S/_sandbox/microsoft/fixtures" | python3 -c 'import sys, json
p = json.load(sys.stdin)["publishers"][0]
print(p["tenantId"], p["clientId"], p["clientSecret"])')
token() {
	curl -fsS -X POST "$S/$tenant/oauth2/v2.0/token" -d grant_type=client_credentials -d "client_id=$client" \
		--data-urlencode "client_secret=$secret" --data-urlencode 'scope=20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default' |
		sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
# new_day: the clock a day on; prints the new time as Unix seconds.
new_day() {
	curl -fsS -X POST "$S/_sandbox/clock/advance" -H 'Content-Type: application/json' -d '{"by":"24h"}' >/dev/null
	curl -fsS "$S/_sandbox/clock" | python3 -c 'import sys, json, datetime
print(int(datetime.datetime.fromisoformat(json.load(sys.stdin)["now"].replace("Z", "+00:00")).timestamp()))'
}

# events.lua: each request carries the next `per` distinct events of the
# day that ends at `now`, one bare or a batch; script PER NOW TOKEN writes
# the copy of it for one run with those three set (lib.sh's run passes
# wrk's options before the URL, so a script's arguments cannot follow it).
{
	echo 'local subs = {'
	sed 's/.*/"&",/' "$tmp/subs"
	echo '}'
	cat <<'LUA'
-- i is the next event's number; each wrk thread starts a million apart,
-- so threads never send the same event.
i = 0
local threads = 0
function setup(thread)
	thread:set("i", threads * 1000000)
	threads = threads + 1
end
local dims = {"api-calls", "gb-stored"}
local function event()
	local n = #subs
	local sub, dim, hour = subs[i % n + 1], dims[math.floor(i / n) % 2 + 1], math.floor(i / (2 * n)) % 24
	i = i + 1
	return '{"resourceId":"' .. sub .. '","quantity":1.5,"dimension":"' .. dim .. '","effectiveStartTime":"' ..
		os.date("!%Y-%m-%dT%H:%M:%SZ", now - hour * 3600) .. '","planId":"metered"}'
end
function request()
	local body
	if per == 1 then
		body = event()
	else
		local items = {}
		for k = 1, per do items[k] = event() end
		body = '{"request":[' .. table.concat(items, ",") .. ']}'
	end
	return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
LUA
} > "$tmp/events.lua"
script() {
	printf 'local per, now, token = %d, %d, "%s"\n' "$1" "$2" "$3" | cat - "$tmp/events.lua" > "$tmp/run.lua"
	echo "$tmp/run.lua"
}

# phase NAME PATH PER: ROUNDS rounds of the bare handler then the sandbox,
# each sandbox run on a new day; prints events/s beside requests/s.
phase() {
	local name=$1 path=$2 per=$3 now tok bytes
	now=$(new_day); tok=$(token)
	bytes=$(curl -s -o /dev/null -w '%{size_download}' -X POST "$S$path?api-version=2018-08-31" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' -d @<(wrk_body "$per" "$now"))
	$bin/loadbench bare --addr 127.0.0.1:$BARE_PORT --body-bytes "$bytes" & local bare=$!
	wait_ok "http://127.0.0.1:$BARE_PORT/"
	echo "== $name ($bytes-byte answers, $per event(s) a request): $ROUNDS rounds of bare handler then sandbox, $DURATION each"
	warm "http://127.0.0.1:$BARE_PORT$path" -s "$(script "$per" "$now" "$tok")"
	now=$(new_day); tok=$(token)
	warm "$S$path?api-version=2018-08-31" -s "$(script "$per" "$now" "$tok")"
	local ratios=() round
	for round in $(seq 1 "$ROUNDS"); do
		now=$(new_day); tok=$(token)
		read -r brps bp50 bp99 _ < <(run "http://127.0.0.1:$BARE_PORT$path" -s "$(script "$per" "$now" "$tok")")
		read -r srps sp50 sp99 sbad < <(run "$S$path?api-version=2018-08-31" -s "$(script "$per" "$now" "$tok")")
		round_line "$round" "$brps" "$bp50" "$bp99" "$srps" "$sp50" "$sp99" "$sbad"
		echo "            sandbox: $(awk -v r="$srps" -v n="$per" 'BEGIN {printf "%.0f", r * n}') accepted events/s"
		ratios+=("$(awk -v s="$srps" -v b="$brps" 'BEGIN {printf "%.1f", 100 * s / b}')")
	done
	kill $bare; wait $bare 2>/dev/null || true
	echo "   median: $(median "${ratios[@]}") % of the bare handler"
}

# wrk_body PER NOW: the body of one request of PER distinct events (of the
# first PER subscriptions) at NOW, to learn the size of the answer; the
# sandbox's runs are on later days, so they never meet these events.
wrk_body() {
	python3 -c 'import sys, datetime, json
per, now, subs = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3]).read().split()
at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
ev = [json.dumps({"resourceId": s, "quantity": 1.5, "dimension": "api-calls", "effectiveStartTime": at, "planId": "metered"}) for s in subs[:per]]
print(ev[0] if per == 1 else "{\"request\":[" + ",".join(ev) + "]}")' "$1" "$2" "$tmp/subs"
}

phase "POST usageEvent" /api/usageEvent 1
echo "   sandbox RSS after usageEvent load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid)"
phase "POST batchUsageEvent" /api/batchUsageEvent 25
echo "   sandbox RSS after batch load: now $(rss $sandbox_pid), peak $(hwm $sandbox_pid)"
