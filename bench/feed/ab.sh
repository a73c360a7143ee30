#!/bin/sh
# bench/feed/ab.sh OLD_BIN NEW_BIN EXCHANGE CHANNEL RATE [SECONDS=6]: two
# ts-feed builds one after the other, twice, against the same fixed ts-sim
# rate; prints CPU microseconds a message from the connection on. Build the
# old one from a worktree, e.g.
#   git worktree add /tmp/old HEAD~1 && make -C /tmp/old bin/ts-feed
#   sh bench/feed/ab.sh /tmp/old/bin bin coinbase book 30000
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 5 ] || { echo "usage: ab.sh OLD_BIN NEW_BIN EXCHANGE CHANNEL RATE [SECONDS]" >&2; exit 100; }
old=$1 new=$2 ex=$3 ch=$4 rate=$5 dur=${6:-6}
case $ex in binance) sym=BTC-USDT ;; coinbase) sym=BTC-USD ;; *) echo "unknown exchange '$ex'" >&2; exit 100 ;; esac
W=$(mktemp -d /tmp/ts-ab.XXXXXX)
trap 'rm -rf "$W"' EXIT
for round in 1 2; do
	for v in old new; do
		case $v in old) B=$old ;; new) B=$new ;; esac
		"$top/bin/ts-sim" --port 0 --rate "$rate" "$ex" >"$W/sim.out" 2>"$W/sim.err" &
		sp=$!
		for _ in $(seq 50); do grep -q '^port ' "$W/sim.out" && break; sleep 0.1; done
		port=$(awk '/^port /{print $2; exit}' "$W/sim.out")
		"$B/ts-feed" --stats --stdout --channels "$ch" --url "ws://127.0.0.1:$port" \
		    --rest "http://127.0.0.1:$port" "$ex" "$sym" >/dev/null 2>"$W/feed.err" &
		fp=$!
		sleep "$dur"
		kill "$fp"; wait "$fp"
		kill "$sp"; wait "$sp"
		m=$(grep -o 'msgs [0-9]*' "$W/feed.err" | cut -d' ' -f2)
		c=$(grep -o 'cpu_connected [0-9.]*' "$W/feed.err" | cut -d' ' -f2)
		printf '%s %s %s at %s/s: %s msgs, %s CPU s, %s CPU us a message\n' "$v" "$ex" "$ch" \
		    "$rate" "$m" "$c" "$(echo "scale=3; $c * 1000000 / ${m:-1}" | bc)"
	done
done
