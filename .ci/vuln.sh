#!/usr/bin/env bash
# vuln.sh runs govulncheck on the sandbox's module and the testcontainers
# module with the Go release the Makefile sets (what `make vuln` runs).
#
# Exit status: 0 when nothing reachable is found or when the vulnerability
# database cannot be reached (a closed network is not a finding: it says
# so and skips); 3, govulncheck's own, when a reachable vulnerability is
# found; anything else when govulncheck itself fails.
#
# Environment: GO (default go), GOVULNDB (default https://vuln.go.dev; a
# file:// URL points at a local copy of the database), GOVULNCHECK (the
# module version to run, default golang.org/x/vuln/cmd/govulncheck@latest).
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
db=${GOVULNDB:-https://vuln.go.dev}
tool=${GOVULNCHECK:-golang.org/x/vuln/cmd/govulncheck@latest}

reachable() {
	case $db in
	file://*) [ -e "${db#file://}/index/db.json" ] ;;
	*) curl -fsS --max-time 10 -o /dev/null "$db/index/db.json" 2>/dev/null ;;
	esac
}
if ! reachable; then
	echo "SKIP vuln: the vulnerability database $db cannot be reached from here (set GOVULNDB to a reachable copy, e.g. file:///path)"
	exit 0
fi
echo "govulncheck with $($GO version) against $db"
status=0
for mod in . testcontainers; do
	echo "== $mod"
	(cd "$mod" && $GO run "$tool" -db "$db" ./...) || status=$?
done
exit $status
