#!/bin/sh
# bench/feed/run.sh: ts-feed against ts-sim on loopback -- messages/s, CPU
# seconds per million messages, processing latency, peak RSS with 20 symbols
# -- and the reference peer, ccxt pro (npm), on the same simulator: its
# messages/s, CPU per million, and trades lost by a slow consumer.
#
#   sh bench/feed/run.sh [SECONDS]     (default 10 per case)
#   EXCHANGES="kraken" sh bench/feed/run.sh   (only those exchanges' cases)
#
# Needs bin/ts-sim, bin/ts-feed, jq, and for the peer `npm install ccxt` in
# bench/feed (node_modules is not committed). Prints a Markdown table.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TS_BIN:-$top/bin}
DUR=${1:-10}
EXCHANGES=${EXCHANGES:-binance coinbase kraken}
W=$(mktemp -d /tmp/ts-bench-feed.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 111' INT TERM

# sim NAME ARGS...: start ts-sim on a free port, set PORT and SIM_PID
sim() {
	n=$1; shift
	"$BIN/ts-sim" --port 0 "$@" >"$W/$n.out" 2>"$W/$n.err" &
	SIM_PID=$!
	PIDS="$PIDS $SIM_PID"
	for _ in $(seq 100); do [ -s "$W/$n.out" ] && break; sleep 0.05; done
	PORT=$(awk '/^port /{print $2; exit}' "$W/$n.out")
}

endsim() { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }

cpu_of() { # pid: user+system seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# feed NAME EX CHANNELS SYMS...: run ts-feed --stdout for DUR seconds
feed() {
	n=$1 ex=$2 ch=$3; shift 3
	"$BIN/ts-feed" --stats ${FEED_OUT---stdout} --channels "$ch" --url "ws://127.0.0.1:$PORT" \
	    --rest "http://127.0.0.1:$PORT" "$ex" "$@" >/dev/null 2>"$W/$n.feed" &
	fp=$!
	s0=$(cpu_of "$SIM_PID")
	sleep "$DUR"
	s1=$(cpu_of "$SIM_PID")
	kill "$fp"
	wait "$fp"
	SIMCPU=$(echo "$s1 - $s0" | bc -l)
	STATS=$(grep '^stats:' "$W/$n.feed")
}
sym_of() { # EX: the symbol every case uses on that exchange
	case $1 in binance) echo BTC-USDT ;; coinbase|kraken) echo BTC-USD ;; esac
}
stat() { echo "$STATS" | tr ' ' '\n' | awk -v k="$1" '$0 == k {getline; print; exit}'; }

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
row4() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }

echo "ts-feed benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), load $(cut -d' ' -f1-3 /proc/loadavg), $DUR s a case"
echo
echo "| case | websocket messages/s | CPU s per million messages | feed CPU use | sim CPU use | latency p50/p99 (frame in to message out) |"
echo "|---|---|---|---|---|---|"
for ex in $EXCHANGES; do
	sym=$(sym_of "$ex")
	for ch in trades book; do
		sim s --rate max "$ex"
		feed "$ex-$ch" "$ex" "$ch" "$sym"
		endsim
		msgs=$(stat msgs) cpu=$(stat cpu | tr -d s)
		case $ch in trades) items=$(stat trades) ;; book) items=$(stat book) ;; esac
		row "ts-feed $ex $ch ($items published)" \
		    "$(echo "$msgs / $DUR" | bc)" \
		    "$(echo "scale=2; $cpu * 1000000 / $msgs" | bc)" \
		    "$(echo "scale=0; 100 * $cpu / $DUR" | bc)%" \
		    "$(echo "scale=0; 100 * $SIMCPU / $DUR" | bc)%" \
		    "$(stat latency_p50_le) / $(stat latency_p99_le)"
		echo "$ex $ch $STATS" >>"$W/raw"
	done
done

# on the bus: ts-supervisor's proxy, ts-feed publishing, ts-cat reading
TS_BUS=$W/bus
export TS_BUS
"$BIN/ts-supervisor" --ready-fd 3 3>"$W/sup.ready" >/dev/null 2>"$W/sup.err" &
sup_pid=$!
PIDS="$PIDS $sup_pid"
for _ in $(seq 100); do [ -s "$W/sup.ready" ] && break; sleep 0.05; done
for ch in trades book; do
	"$BIN/ts-cat" -q "$ch/binance/BTC-USDT" >/dev/null 2>&1 &
	cat_pid=$!
	PIDS="$PIDS $cat_pid"
	sim s --rate max binance
	FEED_OUT= feed "bus-$ch" binance "$ch" BTC-USDT
	endsim
	kill "$cat_pid"
	wait "$cat_pid" 2>/dev/null
	msgs=$(stat msgs) cpu=$(stat cpu | tr -d s)
	row "ts-feed binance $ch on the bus, ts-cat reading ($(stat published) published, $(stat dropped) dropped)" \
	    "$(echo "$msgs / $DUR" | bc)" \
	    "$(echo "scale=2; $cpu * 1000000 / $msgs" | bc)" \
	    "$(echo "scale=0; 100 * $cpu / $DUR" | bc)%" \
	    "$(echo "scale=0; 100 * $SIMCPU / $DUR" | bc)%" \
	    "$(stat latency_p50_le) / $(stat latency_p99_le)"
done

kill "$sup_pid"
wait "$sup_pid" 2>/dev/null
unset TS_BUS

# 20 symbols, trades and full books: peak RSS
syms=$(for b in BTC ETH SOL XRP ADA DOGE DOT LTC LINK AVAX TRX BCH ATOM XLM ETC FIL NEAR APT ARB OP; do
	printf '%s-USDT ' $b; done)
case " $EXCHANGES " in *" binance "*)
sim s20 --rate 20000 --symbols "$(echo $syms | tr ' ' ,)" binance
feed rss binance trades,book $syms
endsim
RSS20=$(stat maxrss)
echo
echo "Peak RSS, binance, 20 symbols, trades and full books, 20,000 messages/s: $RSS20 ($(stat msgs) messages, $(stat book) book messages)"
esac
case " $EXCHANGES " in *" kraken "*)
ksyms=$(echo "$syms" | sed 's/-USDT/-USD/g')
sim s20 --rate 20000 --symbols "$(echo $ksyms | tr ' ' ,)" kraken
feed rss kraken trades,book $ksyms
endsim
echo
echo "Peak RSS, kraken, 20 symbols, trades and books at depth 1000 (sides of up to 1100), 20,000 messages/s: $(stat maxrss) ($(stat msgs) messages, $(stat book) book messages)"
esac

# the reference peer
if [ ! -d "$top/bench/feed/node_modules/ccxt" ]; then
	echo
	echo "ccxt not installed (cd bench/feed && npm install ccxt): peer skipped"
	exit 0
fi
echo
echo "| case | websocket messages/s | CPU s per million messages | CPU s per million trades | lost (slow consumer) |"
echo "|---|---|---|---|---|"
while read -r ex ch rest; do
	msgs=$(echo "$rest" | tr ' ' '\n' | awk '$0 == "msgs" {getline; print; exit}')
	cpu=$(echo "$rest" | tr ' ' '\n' | awk '$0 == "cpu" {getline; print; exit}' | tr -d s)
	tr_=$(echo "$rest" | tr ' ' '\n' | awk '$0 == "trades" {getline; print; exit}')
	pt=-
	[ "$ch" = trades ] && pt=$(echo "scale=2; $cpu * 1000000 / $tr_" | bc)
	row4 "ts-feed $ex $ch" "$(echo "$msgs / $DUR" | bc)" "$(echo "scale=2; $cpu * 1000000 / $msgs" | bc)" "$pt" -
done <"$W/raw"
for ex in $EXCHANGES; do
	sym=$(sym_of "$ex")
	for ch in trades book; do
		sim s --rate max "$ex"
		node "$top/bench/feed/ccxt-peer.js" "$ex" "$PORT" "$sym" "$ch" "$DUR" >"$W/peer.json" 2>"$W/peer.err"
		endsim
		j=$(cat "$W/peer.json")
		[ -n "$j" ] || { row4 "ccxt $ex $ch" "failed: $(head -c 80 "$W/peer.err")" - - -; continue; }
		cpu=$(echo "$j" | jq .cpu_s) wall=$(echo "$j" | jq .wall_s) msgs=$(echo "$j" | jq .ws_messages)
		[ "$msgs" -gt 0 ] 2>/dev/null || { row4 "ccxt $ex $ch" "no messages ($(echo "$j" | jq -c .errors) errors)" - - -; continue; }
		pt=-
		[ "$ch" = trades ] && pt=$(echo "scale=2; $cpu * 1000000 / $(echo "$j" | jq .unique)" | bc)
		row4 "ccxt $(echo "$j" | jq -r .version) $ex $ch" "$(echo "$msgs / $wall" | bc)" \
		    "$(echo "scale=2; $cpu * 1000000 / $msgs" | bc)" "$pt" -
	done
done

# Equal load: the simulator at the same fixed rate for both, below what
# either can take, so neither shares the machine with a simulator running
# flat out (at --rate max the faster consumer keeps the simulator busier,
# and on 2 cores that slows the consumer down). CPU per million messages of
# each, counted from the connection on, and their ratio; the rate per case
# is ts-sim's market messages a second.
echo
echo "Equal load: ts-sim at a fixed rate, the same for ts-feed and ccxt"
echo
echo "| case | rate | ts-feed CPU s per million | ccxt CPU s per million | ccxt / ts-feed |"
echo "|---|---|---|---|---|"
for ex in $EXCHANGES; do
	sym=$(sym_of "$ex")
	for ch in trades book; do
		case $ex/$ch in coinbase/trades) rate=2000 ;; *) rate=30000 ;; esac
		sim s --rate "$rate" "$ex"
		feed "eq-$ex-$ch" "$ex" "$ch" "$sym"
		endsim
		# from the connection on, as ccxt's (its start-up and market
		# loading are not counted either)
		fmsgs=$(stat msgs) fcpu=$(stat cpu_connected | tr -d s)
		sim s --rate "$rate" "$ex"
		node "$top/bench/feed/ccxt-peer.js" "$ex" "$PORT" "$sym" "$ch" "$DUR" >"$W/peer.json" 2>"$W/peer.err"
		endsim
		j=$(cat "$W/peer.json")
		cmsgs=$(echo "$j" | jq .ws_messages 2>/dev/null) ccpu=$(echo "$j" | jq .cpu_s 2>/dev/null)
		if [ "${cmsgs:-0}" -gt 0 ] 2>/dev/null && [ "${fmsgs:-0}" -gt 0 ]; then
			f=$(echo "scale=3; $fcpu * 1000000 / $fmsgs" | bc)
			c=$(echo "scale=3; $ccpu * 1000000 / $cmsgs" | bc)
			printf '| %s %s | %s | %s | %s | %sx |\n' "$ex" "$ch" "$rate" "$f" "$c" \
			    "$(echo "scale=1; $c / $f" | bc)"
		else
			printf '| %s %s | %s | %s | failed | - |\n' "$ex" "$ch" "$rate" "${fmsgs:-0} msgs"
		fi
	done
done

# slow consumers: ccxt sleeping 5 ms an update, ts-feed writing into a pipe
# read after a 3 s pause; lost = generated ids between the first and last
# delivered that were not delivered
for ex in $EXCHANGES; do
	sym=$(sym_of "$ex")
	sim s --rate max --truth "$W/truth" "$ex"
	node "$top/bench/feed/ccxt-peer.js" "$ex" "$PORT" "$sym" trades "$DUR" 5 >"$W/peer.json" 2>"$W/peer.err"
	endsim
	j=$(cat "$W/peer.json")
	if [ -n "$j" ] && [ "$(echo "$j" | jq .unique)" -gt 0 ]; then
		f=$(echo "$j" | jq .first_id) l=$(echo "$j" | jq .last_id)
		gen=$(jq -c --arg s "$sym" "select(.sym == \$s) | .id | tonumber | select(. >= $f and . <= $l)" "$W/truth" | wc -l)
		row4 "ccxt $ex trades, consumer sleeps 5 ms an update" - - - "$((gen - $(echo "$j" | jq .unique))) of $gen"
	fi
	sim s --rate max --truth "$W/truth" "$ex"
	sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$W/slow.pid" "$BIN/ts-feed" --stdout \
	    --channels trades --url "ws://127.0.0.1:$PORT" --rest "http://127.0.0.1:$PORT" \
	    "$ex" "$sym" 2>/dev/null | { sleep 3; cat; } >"$W/slow.out" &
	reader=$!
	sleep "$DUR"
	endsim
	sleep 1
	kill "$(cat "$W/slow.pid")" 2>/dev/null
	wait "$reader"
	grep "^trades/" "$W/slow.out" | cut -f2- | jq -r .id >"$W/ids"
	f=$(head -1 "$W/ids") l=$(tail -1 "$W/ids")
	gen=$(jq -c --arg s "$sym" "select(.sym == \$s) | .id | tonumber | select(. >= $f and . <= $l)" "$W/truth" | wc -l)
	row4 "ts-feed $ex trades, reader paused 3 s" - - - "$((gen - $(sort -u "$W/ids" | wc -l))) of $gen"
done
