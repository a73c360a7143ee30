#!/bin/sh
# bench/bus/run.sh: 200-byte messages publisher -> ts-supervisor -> subscriber
# over ipc and tcp, against a direct PUB->SUB link in the same run.
#   sh bench/bus/run.sh [COUNT=1000000] [PACED_RATE=50000] [ROUNDS=3]
# Prints a markdown table (the median of ROUNDS for each row).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
COUNT=${1:-1000000} RATE=${2:-50000} ROUNDS=${3:-3}
tmp=$(mktemp -d /tmp/ts-bench-bus.XXXXXX)
sup=""
trap '[ -n "$sup" ] && kill $sup 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -o "$tmp/bench_bus" "$top/bench/bus/bench_bus.c" -lzmq
[ -x "$top/bin/ts-supervisor" ] || make -C "$top" bin/ts-supervisor >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dport=$((port + 10))

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

row() { # name pub sub
	name=$1 pub=$2 subep=$3
	: >"$tmp/fast" ; : >"$tmp/paced"
	for _ in $(seq "$ROUNDS"); do
		"$tmp/bench_bus" "$pub" "$subep" "$COUNT" 0 >>"$tmp/fast" || true
		"$tmp/bench_bus" "$pub" "$subep" $((RATE * 4)) "$RATE" >>"$tmp/paced" || true
	done
	rate=$(field rate <"$tmp/fast" | median)
	lost=$(field lost <"$tmp/fast" | median)
	p50=$(field p50 <"$tmp/paced" | median)
	p99=$(field p99 <"$tmp/paced" | median)
	p999=$(field p999 <"$tmp/paced" | median)
	printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rate" "$lost" "$p50" "$p99" "$p999"
	echo "$rate" >"$tmp/rate-$name"
}

# The proxy queues without limit here, like the direct link's sockets
# (bench_bus sets its HWMs to 0): the rows compare speed, not drop policy.
start_sup() {
	TS_BUS_HWM=0 "$top/bin/ts-supervisor" -B "$1" --ready-fd 3 3>"$tmp/ready" 2>"$tmp/sup.err" &
	sup=$!
	while [ ! -s "$tmp/ready" ]; do sleep 0.05; done
	rm -f "$tmp/ready"
}
stop_sup() { kill "$sup"; wait "$sup" 2>/dev/null || true; sup=""; }

echo "| link | msgs/s (unpaced) | lost | p50 µs | p99 µs | p99.9 µs |"
echo "|---|---|---|---|---|---|"
row direct-ipc "ipc://$tmp/direct" "ipc://$tmp/direct"
start_sup "$tmp/bus"
row proxy-ipc "ipc://$tmp/bus/pub" "ipc://$tmp/bus/sub"
stop_sup
row direct-tcp "tcp://127.0.0.1:$dport" "tcp://127.0.0.1:$dport"
start_sup "tcp://127.0.0.1:$port"
row proxy-tcp "tcp://127.0.0.1:$port" "tcp://127.0.0.1:$((port + 1))"
stop_sup
echo
for t in ipc tcp; do
	awk -v d="$(cat "$tmp/rate-direct-$t")" -v p="$(cat "$tmp/rate-proxy-$t")" -v t=$t \
	    'BEGIN { printf "proxy/direct over %s: %.0f%%\n", t, 100 * p / d }'
done
echo
echo "$COUNT messages unpaced; latency from $((RATE * 4)) messages paced at $RATE/s; median of $ROUNDS rounds."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), load $(cut -d' ' -f1-3 /proc/loadavg)"
