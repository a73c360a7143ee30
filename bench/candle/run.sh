#!/bin/sh
# bench/candle/run.sh: build and run the ts-candle benchmarks (from the top
# of the repository, after `make bin/ts-candle`). Results: RESULTS.md.
set -eu
cd "$(dirname "$0")/../.."
out=${TMPDIR:-/tmp}/ts-bench-candle
mkdir -p "$out"
make -s build/libcommon.a bin/ts-candle
cc -O2 -g -std=c11 -D_GNU_SOURCE -Ilibcommon -o "$out/bench_candle" \
    bench/candle/bench_candle.c build/libcommon.a -lzmq -ljq -lcurl -lm
echo "== in-process: ts_candle_trade into all 15 timeframes, one core"
taskset -c 0 "$out/bench_candle" 10000000
echo "== pipeline: ts-candle --stdin -t (all 15) from a file of 2000000 trades"
"$out/bench_candle" -w 2000000 "$out/trades.jsonl"
ls -l "$out/trades.jsonl" | awk '{print $5 " bytes"}'
all=1s,5s,15s,1m,3m,5m,15m,30m,1h,2h,4h,6h,12h,1d,1w
s=$(date +%s%N)
taskset -c 0 bin/ts-candle --stdin -t $all "$out/trades.jsonl" 2>/dev/null | wc -l
e=$(date +%s%N)
echo "pipeline: 2000000 trades in $(( (e - s) / 1000000 )) ms: $(( 2000000 * 1000 / ((e - s) / 1000000) )) trades/s"
s=$(date +%s%N)
taskset -c 0 bin/ts-candle --stdin -t 1m "$out/trades.jsonl" >/dev/null 2>&1
e=$(date +%s%N)
echo "pipeline, 1m only: 2000000 trades in $(( (e - s) / 1000000 )) ms: $(( 2000000 * 1000 / ((e - s) / 1000000) )) trades/s"
rm -f "$out/trades.jsonl"
