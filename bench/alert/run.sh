#!/bin/sh
# bench/alert/run.sh: 1,000 rules over 50 markets fed 50,000 trades/s;
# evaluations per second and trade->alert latency. Run from the top of the
# repository after `make bin/ts-supervisor bin/ts-alert`.
#   sh bench/alert/run.sh [RATE=50000] [SECONDS=10]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
RATE=${1:-50000} SECS=${2:-10} JQ=${JQ:-2}  # jq rules per market (of 20)
tmp=$(mktemp -d /tmp/ts-bench-alert.XXXXXX)
trap 'kill $alert $sup 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/libcommon" -o "$tmp/bench_alert" \
    "$top/bench/alert/bench_alert.c" "$top/build/libcommon.a" -lzmq -ljq -lcurl -lm
export XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state TS_BUS=$tmp/bus
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
# per market: 20 - JQ price crossings between 98 and 104, JQ jq rules on notional
{
	echo "set cooldown 0"
	m=0
	while [ $m -lt 50 ]; do
		mk=$(printf 'b:M%02d-USD' $m)
		i=0
		while [ $i -lt $((20 - JQ)) ]; do
			lvl=$(awk "BEGIN { print 98 + $i * 0.3 }")
			[ $((i % 2)) -eq 0 ] && dir=above || dir=below
			echo "p$m-$i $mk price crosses $dir $lvl"
			i=$((i + 1))
		done
		i=0
		while [ $i -lt "$JQ" ]; do
			echo "j$m-$i $mk jq trades '.qty * .px > $((500 + i * 100))'"
			i=$((i + 1))
		done
		m=$((m + 1))
	done
	echo "end b:END-USD jq trades '.id == \"end\"'"
} >"$XDG_CONFIG_HOME/tradesuite/alerts.conf"
"$top/bin/ts-supervisor" >"$tmp/sup.log" 2>&1 & sup=$!
sleep 0.3
"$top/bin/ts-alert" >"$tmp/alerts.out" 2>"$tmp/alert.err" & alert=$!
"$tmp/bench_alert" "$TS_BUS" 50 "$RATE" "$SECS"
kill -TERM $alert; wait $alert || true
grep "loaded\|messages," "$tmp/alert.err" | sed 's/^/# /'
ps -o rss= -p $sup >/dev/null 2>&1 || true
