#!/bin/sh
# bench/sim/capture.sh: record what ts-sim generates, in the recordings'
# format (JSON lines: a header, the REST answers a client reads first, then
# every websocket message), so bench/sim/realism.py reads it like the real
# recordings in ../shared/data/recordings/.
#   sh bench/sim/capture.sh OUTDIR [SECONDS=10] [RATE=2000] [SEED=1]
# writes OUTDIR/sim-binance.jsonl and OUTDIR/sim-coinbase.jsonl
# (after make bin/ts-sim build/tests/tools/sim-wsclient).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: capture.sh OUTDIR [SECONDS] [RATE] [SEED]}
secs=${2:-10} rate=${3:-2000} seed=${4:-1}
SIM=$top/bin/ts-sim WS=$top/build/tests/tools/sim-wsclient
mkdir -p "$out" || exit 111
tmp=$(mktemp -d /tmp/ts-sim-capture.XXXXXX)
sim=""
trap '[ -n "$sim" ] && kill $sim 2>/dev/null; rm -rf "$tmp"' EXIT

"$SIM" --port 0 --rate "$rate" --seed "$seed" coinbase binance >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim=$!
n=0
while ! grep -q '^port' "$tmp/sim.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 200 ] && { cat "$tmp/sim.err" >&2; exit 111; }
	sleep 0.05
done
port=$(awk '{print $2; exit}' "$tmp/sim.out")
U=http://127.0.0.1:$port

# http URL FILE: one recording line for a REST answer
http() { jq -c -R -s --arg url "$1" '{t: "http", url: $url, data: .}' "$2"; }
# recv FILE: one recording line per websocket message
recv() { jq -c -R '{t: "recv", data: .}' "$1"; }

"$WS" -w "$secs" "ws://127.0.0.1:$port/stream?streams=btcusdt@depth@100ms/btcusdt@trade/ethusdt@depth@100ms/ethusdt@trade" >"$tmp/bn.ws" 2>"$tmp/bn.err" &
bn=$!
"$WS" -w "$secs" -s '{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"}' \
    -s '{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"market_trades"}' \
    "ws://127.0.0.1:$port/" >"$tmp/cb.ws" 2>"$tmp/cb.err" &
cb=$!
# the snapshots after the stream began: updates up to lastUpdateId are older
sleep 0.5
curl -sf "$U/api/v3/exchangeInfo" >"$tmp/ei.json" &&
curl -sf "$U/api/v3/depth?symbol=BTCUSDT&limit=1000" >"$tmp/d1.json" &&
curl -sf "$U/api/v3/depth?symbol=ETHUSDT&limit=1000" >"$tmp/d2.json" &&
curl -sf "$U/api/v3/brokerage/market/products" >"$tmp/pr.json" || {
	echo "capture.sh: cannot read ts-sim's REST answers from '$U'" >&2; exit 111; }
wait $bn $cb

{
	echo '{"t":"header","exchange":"BINANCE","source":"ts-sim --seed '"$seed"' --rate '"$rate"'"}'
	http "$U/api/v3/exchangeInfo" "$tmp/ei.json"
	http "$U/api/v3/depth?symbol=BTCUSDT&limit=1000" "$tmp/d1.json"
	http "$U/api/v3/depth?symbol=ETHUSDT&limit=1000" "$tmp/d2.json"
	recv "$tmp/bn.ws"
} >"$out/sim-binance.jsonl"
{
	echo '{"t":"header","exchange":"COINBASE","source":"ts-sim --seed '"$seed"' --rate '"$rate"'"}'
	http "$U/api/v3/brokerage/market/products" "$tmp/pr.json"
	recv "$tmp/cb.ws"
} >"$out/sim-coinbase.jsonl"
echo "capture.sh: $(wc -l <"$tmp/bn.ws") binance and $(wc -l <"$tmp/cb.ws") coinbase messages in $out" >&2
