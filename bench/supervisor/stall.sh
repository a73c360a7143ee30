#!/bin/sh
# bench/supervisor/stall.sh: ts-supervisor's memory with one stalled
# subscriber (a ts-cat stopped with SIGSTOP) while a fast publisher floods
# its topic, alone and beside a subscriber that keeps reading. Prints, for
# each load, the supervisor's RSS before and at its peak, their ratio, and
# what the reading subscriber got.
#   sh bench/supervisor/stall.sh [SMALL_COUNT=400000] [BIG_COUNT=700]
# SUP=PATH runs another ts-supervisor build (a before/after comparison).
# (needs bin/ built; the loads are the ones issue 20 measured: 400k messages
# of 100 bytes, 700 of 1 MB)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$top/bin:$PATH"; export PATH
small=${1:-400000} big=${2:-700}
tmp=$(mktemp -d /tmp/ts-bench-stall.XXXXXX)
export TS_BUS="$tmp/bus" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_CONFIG_HOME/tradesuite" "$XDG_RUNTIME_DIR"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
pids=""
trap 'for p in $pids; do kill -CONT $p 2>/dev/null; kill -TERM $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -o "$tmp/flood" "$top/bench/supervisor/bench_flood.c" -lzmq
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; } # kB

load() { # NAME COUNT BYTES READER(yes|no): a fresh supervisor for each load
	name=$1 count=$2 bytes=$3 with=$4 topic="misc/flood/$1"
	rm -f "$tmp/ready"
	"${SUP:-ts-supervisor}" --ready-fd 3 3>"$tmp/ready" 2>"$tmp/sup.err" &
	sup=$!; pids="$pids $sup"
	while [ ! -s "$tmp/ready" ]; do sleep 0.05; done
	ts-cat "$topic" >/dev/null 2>&1 &
	stalled=$!; pids="$pids $stalled"
	: >"$tmp/reader.$name"
	if [ "$with" = yes ]; then
		ts-cat -n "$count" -w 120 "$topic" >"$tmp/reader.$name" 2>/dev/null &
	else
		sleep 0 &
	fi
	reader=$!; pids="$pids $reader"
	sleep 0.5
	kill -STOP $stalled
	before=$(rss $sup) peak=$before
	"$tmp/flood" "ipc://$TS_BUS/pub" "$topic" "$count" "$bytes" >"$tmp/flood.$name" &
	flood=$!
	while kill -0 $flood 2>/dev/null || kill -0 $reader 2>/dev/null; do
		r=$(rss $sup); [ "$r" -gt "$peak" ] && peak=$r
		sleep 0.1
		# the reader may have lost some: give up 5 s after the publisher
		# (two status scans: the stalled one is named by then)
		if ! kill -0 $flood 2>/dev/null; then
			sleep 5; kill $reader 2>/dev/null; break
		fi
	done
	wait $flood
	got="$(wc -l <"$tmp/reader.$name") of $count"
	[ "$with" = yes ] || got="(none)"
	ts-supervisor status --json | jq -c .bus_memory >"$tmp/status.$name"
	echo "| $count x $bytes B | $before kB | $peak kB | $(awk "BEGIN{printf \"%.1f\", $peak / $before}") | $got |"
	kill -CONT $stalled; kill $stalled; wait $stalled 2>/dev/null
	kill $sup; wait $sup
}
echo "| load | supervisor RSS before | peak | ratio | reading subscriber got |"
echo "|---|---|---|---|---|"
load small "$small" 100 no
load big "$big" 1000000 no
load small-r "$small" 100 yes
load big-r "$big" 1000000 yes
echo
for name in small big small-r big-r; do
	echo "status during the $name load: $(cat "$tmp/status.$name")"
done
