#!/bin/sh
# bench/sim/run.sh: how many websocket messages a second ts-sim sends on
# loopback with --rate max, to consumers that only count (sim-wsclient -q),
# and the simulator's CPU time per million messages.
#   sh bench/sim/run.sh [SECONDS=10]   (after make bin/ts-sim build/tests/test_sim)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
SIM=$top/bin/ts-sim WS=$top/build/tests/tools/sim-wsclient
tmp=$(mktemp -d /tmp/ts-bench-sim.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # clock ticks
sent() { curl -sf "http://127.0.0.1:$port/_sim/stats" | jq .messages; }

run() { # NAME CONSUMERS URL [SUBSCRIBE...]: one case
	name=$1 k=$2 url=$3; shift 3
	"$SIM" --port 0 --rate max --seed 1 coinbase binance >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim=$!; pids="$pids $sim"
	while ! grep -q '^port' "$tmp/sim.out" 2>/dev/null; do sleep 0.05; done
	port=$(awk '{print $2; exit}' "$tmp/sim.out")
	cs=""
	for i in $(seq "$k"); do
		set -- "$@"
		args=""; for s in "$@"; do args="$args -s '$s'"; done
		eval "\"$WS\" -q -w $((secs + 5)) $args \"ws://127.0.0.1:$port$url\"" 2>/dev/null &
		cs="$cs $!"; pids="$pids $!"
	done
	sleep 1 # warm up
	m0=$(sent) c0=$(cpu $sim) t0=$(date +%s.%N)
	sleep "$secs"
	m1=$(sent) c1=$(cpu $sim) t1=$(date +%s.%N)
	for p in $cs $sim; do kill $p 2>/dev/null; wait $p 2>/dev/null; done
	awk -v n="$name" -v k="$k" -v m=$((m1 - m0)) -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		s = t1 - t0
		printf "%-34s consumers %d  %8.0f msgs/s  sim CPU %.2f s per million msgs (%.0f%% of a core)\n",
		    n, k, m / s, (c / hz) / (m / 1e6), 100 * c / hz / s }'
}

echo "# ts-sim send rate, $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), ${secs}s per case"
run "binance trade+depth, 2 symbols" 1 "/stream?streams=btcusdt@trade/btcusdt@depth@100ms/ethusdt@trade/ethusdt@depth@100ms"
run "binance trade+depth, 2 symbols" 2 "/stream?streams=btcusdt@trade/btcusdt@depth@100ms/ethusdt@trade/ethusdt@depth@100ms"
run "binance trades only" 1 "/ws/btcusdt@trade/ethusdt@trade"
run "coinbase level2+market_trades" 1 "/" \
    '{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"}' \
    '{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"market_trades"}'
