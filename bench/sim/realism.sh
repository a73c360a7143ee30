#!/bin/sh
# bench/sim/realism.sh: the realism table of bench/sim/realism.md: the real
# recordings and a capture of ts-sim, side by side (markdown on stdout).
#   sh bench/sim/realism.sh [SECONDS=10] [RATE=2000] [SEED=1]
# (after make bin/ts-sim build/tests/tools/sim-wsclient)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rec=${TS_RECORDINGS:-$top/../shared/data/recordings}
tmp=$(mktemp -d /tmp/ts-sim-realism.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sh "$top/bench/sim/capture.sh" "$tmp" "${1:-10}" "${2:-2000}" "${3:-1}" || exit 111
python3 "$top/bench/sim/realism.py" --md "$rec/BINANCE.jsonl.zst" "$tmp/sim-binance.jsonl" \
    "$rec/COINBASE.jsonl.zst" "$tmp/sim-coinbase.jsonl"
