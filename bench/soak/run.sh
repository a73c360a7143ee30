#!/bin/sh
# bench/soak/run.sh [SECONDS]: run the soak test (tests/e2e/t0900-soak.sh,
# what `make soak` runs) for SECONDS (default 600) and write its results to
# bench/soak/RESULTS.md, with every RSS/CPU sample in bench/soak/samples.tsv.
# Build first: make all tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/bench/soak
TS_SOAK_SECONDS=${1:-${TS_SOAK_SECONDS:-600}}
TS_SOAK_OUT=$(mktemp -d /tmp/ts-soak.XXXXXX)
export TS_SOAK_SECONDS TS_SOAK_OUT
start=$(date +%s)
TS_BIN=${TS_BIN:-$top/bin} TS_BUILD=${TS_BUILD:-$top/build} TS_SOAK=1 \
    sh "$top/tests/run" soak >"$TS_SOAK_OUT/run.txt" 2>&1
rc=$?
end=$(date +%s)
cat "$TS_SOAK_OUT/run.txt"
[ -s "$TS_SOAK_OUT/summary.md" ] || { echo "soak: no summary (see tests/out/t0900-soak.log)" >&2; exit 111; }
{
	echo "# Soak test results"
	echo
	echo "Reproduce: \`make all tests && sh bench/soak/run.sh $TS_SOAK_SECONDS\`"
	echo "(or \`make soak\`, TS_SOAK_SECONDS=$TS_SOAK_SECONDS). Run on $(date -u +%Y-%m-%d), $((end - start)) s in all;"
	echo "the machine (2 cores) was shared with other engineers' builds and tests,"
	echo "so CPU shares are what the scheduler gave, and RSS is the steady figure."
	echo
	echo "Checks (tests/out/t0900-soak.log):"
	echo
	grep -E '^(ok|not ok) ' "$top/tests/out/t0900-soak.log" | sed 's/^/    /'
	echo
	sed 's/^## /## /' "$TS_SOAK_OUT/summary.md"
} >"$out/RESULTS.md"
cp "$TS_SOAK_OUT/samples.tsv" "$out/samples.tsv"
rm -rf "$TS_SOAK_OUT"
exit $rc
