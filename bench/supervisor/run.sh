#!/bin/sh
# bench/supervisor/run.sh: (1) first subscription -> first message through the
# cascade candles -> ts-candle -> trades -> ts-feed <- ts-sim (ts-supervisor
# --demo), p50 over RUNS runs, each from a cold start (everything but ts-sim
# stopped); (2) ts-supervisor's CPU and RSS with 50 idle producers running.
# Usage: sh bench/supervisor/run.sh [RUNS=20]   (needs bin/ built)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$top/bin:$PATH"; export PATH
runs=${1:-20}
tmp=$(mktemp -d /tmp/ts-bench-sup.XXXXXX)
export TS_BUS="$tmp/bus" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_CONFIG_HOME/tradesuite" "$XDG_RUNTIME_DIR"
sup=""
trap '[ -n "$sup" ] && kill -TERM $sup 2>/dev/null; wait; rm -rf "$tmp"' EXIT
state() { ts-supervisor status --json | jq -r --arg n "$1" '[.services[] | select(.name==$n) | .state] | .[0] // "down"'; }
now() { date +%s%N; }
p50() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# (1) the cascade
cat >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini" <<'INI'
[supervisor]
linger = 100ms
INI
ts-supervisor --demo --demo-port 0 --ready-fd 3 3>"$tmp/ready" 2>"$tmp/sup.err" &
sup=$!
while [ ! -s "$tmp/ready" ]; do sleep 0.05; done
while [ "$(state sim)" != up ]; do sleep 0.05; done
: >"$tmp/first" ; : >"$tmp/live"
for i in $(seq "$runs"); do
	while [ "$(state feed-coinbase)" != down ] || [ "$(state candle)" != down ]; do sleep 0.05; done
	sleep 1.1 # past the 1 s restart throttle
	t0=$(now)
	ts-cat -T -n 1 -w 30 candles/coinbase/BTC-USD/1m >/dev/null || echo "run $i: no message" >&2
	t1=$(now)
	echo $(( (t1 - t0) / 1000000 )) >>"$tmp/first"
done
echo "cascade first message (history batch), ms: p50 $(p50 <"$tmp/first") over $runs runs; all: $(tr '\n' ' ' <"$tmp/first")"
# a cold start to the first live candle (needs a trade through ts-feed)
: >"$tmp/live"
for i in $(seq "$runs"); do
	while [ "$(state feed-coinbase)" != down ] || [ "$(state candle)" != down ]; do sleep 0.05; done
	sleep 1.1
	t0=$(now)
	ts-cat -n 100 -w 30 candles/coinbase/BTC-USD/1m | grep -m1 -v '"type":"history"' >/dev/null
	t1=$(now)
	echo $(( (t1 - t0) / 1000000 )) >>"$tmp/live"
done
echo "cascade first live candle (trade via ts-feed), ms: p50 $(p50 <"$tmp/live") over $runs runs; all: $(tr '\n' ' ' <"$tmp/live")"
kill -TERM $sup; wait $sup; sup=""

# (2) 50 idle producers
{
	echo "[service feed-{ex}]"; echo "enabled = no"
	echo "[service candle]"; echo "enabled = no"
	for i in $(seq 50); do
		printf '[service idle%02d]\ncommand = sh -c "echo >&3; exec sleep 100000"\nalways = yes\nready = fd\n' "$i"
	done
} >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
ts-supervisor --ready-fd 3 3>"$tmp/ready2" 2>"$tmp/sup2.err" &
sup=$!
while [ ! -s "$tmp/ready2" ]; do sleep 0.05; done
while [ "$(ts-supervisor status --json | jq '[.services[] | select(.state=="up")] | length')" -lt 50 ]; do sleep 0.1; done
sleep 2
tck=$(getconf CLK_TCK)
c0=$(awk '{print $14+$15}' /proc/$sup/stat)
sleep 60
c1=$(awk '{print $14+$15}' /proc/$sup/stat)
rss=$(awk '/VmRSS/ {print $2}' /proc/$sup/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$sup/status)
echo "50 idle producers: supervisor CPU $(echo "$c0 $c1 $tck" | awk '{printf "%.3f", ($2-$1)/$3/60*100}')% over 60 s, RSS $rss KiB (peak $hwm KiB)"
