#!/bin/sh
# bench/gui/run.sh: ts-gui under a fast market, headless (Xvfb, cairo renderer).
#
# The factory layout plus two more charts receive 5,000 book deltas/s and
# 1,000 trades/s (ts-pub -r from scripted data) for SECONDS; ts-gui's own
# frame timer (frame clock "layout" to "after-paint", frames that drew a
# view) gives p50/p99, /proc gives its CPU use over the same window. Then a
# new chart is opened on a topic whose producer answers its subscription
# with 1,000 candles: time from opening the chart to its first paint with
# data, and from the data's arrival to that paint.
#
#   sh bench/gui/run.sh [SECONDS=20]       results on stdout (and results.txt)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TS_BIN:-$top/bin}
GEN=$top/tests/e2e/t0700-gen.py
SECS=${1:-20}
TMP=$(mktemp -d /tmp/ts-bench-gui.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$TMP"; }
trap cleanup EXIT
cd "$TMP"
export TS_BUS="$TMP/bus" XDG_CONFIG_HOME="$TMP/config" XDG_RUNTIME_DIR="$TMP/run"
mkdir -p run
PATH="$BIN:$PATH"

printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' >noservices.ini
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>xvfb.display >/dev/null 2>&1 &
PIDS="$PIDS $!"
while [ ! -s xvfb.display ]; do sleep 0.05; done
export DISPLAY=":$(cat xvfb.display)" GTK_A11Y=none GSK_RENDERER=cairo
ts-supervisor -c noservices.ini --ready-fd 3 3>sup.ready 2>sup.err &
PIDS="$PIDS $!"
while [ ! -s sup.ready ]; do sleep 0.05; done
# the factory layout and two more charts, every panel visible
mkdir -p config/tradesuite
cat >config/tradesuite/layout.ini <<'INI'
[layout]
version=1
panels=7
[panel0]
kind=chart
exchange=coinbase
symbol=BTC-USD
timeframe=1h
column=0
row=0
[panel1]
kind=chart
exchange=coinbase
symbol=BTC-USD
timeframe=5m
column=0
row=1
[panel2]
kind=book
exchange=coinbase
symbol=BTC-USD
column=1
row=0
[panel3]
kind=tape
exchange=coinbase
symbol=BTC-USD
column=1
row=1
[panel4]
kind=dom
exchange=coinbase
symbol=BTC-USD
column=2
row=0
[panel5]
kind=chart
exchange=coinbase
symbol=BTC-USD
timeframe=1m
column=1
row=2
[panel6]
kind=chart
exchange=coinbase
symbol=BTC-USD
timeframe=15m
column=2
row=1
INI
mkfifo ctl
ts-gui --commands ctl --no-save --size 1280x800 2>gui.err &
GUI=$!
PIDS="$PIDS $GUI"
cmd() { timeout 5 sh -c "echo '$*' >ctl"; }
dump() { rm -f "$1"; cmd dump "$TMP/$1"; while [ ! -s "$1" ]; do sleep 0.05; done; sleep 0.1; }
cpu() { awk '{print $14 + $15}' /proc/$GUI/stat; }

for tf in 1h 5m 1m 15m; do
	python3 "$GEN" history coinbase BTC-USD $tf 1000 >h$tf.json
	ts-pub -w 10 candles/coinbase/BTC-USD/$tf h$tf.json
done
python3 "$GEN" stream coinbase BTC-USD 5000 1000 $((SECS + 5)) >stream.tsv
python3 "$GEN" history coinbase ETH-USD 1h 1000 3000 >eth.json

ts-pub -T -w 10 -r 6000 stream.tsv &
PUB=$!
PIDS="$PIDS $PUB"
sleep 3 # the book snapshot is in, the rate is steady
cmd reset-stats
dump s0.json
c0=$(cpu) t0=$(date +%s.%N)
sleep "$SECS"
c1=$(cpu) t1=$(date +%s.%N)
dump s1.json
cmd screenshot "$top/bench/gui/load.png"
hz=$(getconf CLK_TCK)
cpu_pct=$(echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.1f", ($2 - $1) / $5 / ($4 - $3) * 100}')
msgs=$(jq -n --slurpfile a s0.json --slurpfile b s1.json '($b[0].msgs - $a[0].msgs)')
wait $PUB || true

ts-pub -w 10 candles/coinbase/ETH-USD/1h eth.json &
PIDS="$PIDS $!"
cmd new chart coinbase ETH-USD 1h
while ! { dump s2.json; jq -e '.views[-1].first_paint_ms != null' s2.json >/dev/null; }; do :; done

# 100,000 candles: first paint, then the whole history zoomed out into one
# view (grouped candles) while its last candle moves 100 times a second
python3 "$GEN" history coinbase SOL-USD 1m 100000 100 >big.json
python3 - big.json >live.json <<'PY'
import json, sys
last = json.load(open(sys.argv[1]))["candles"][-1]
for i in range(800):
    c = dict(last); c["c"] = round(last["c"] + (i % 40) - 20, 2); c["v"] = last["v"] + i
    c["h"] = max(c["h"], c["c"]); c["l"] = min(c["l"], c["c"])
    print(json.dumps(c, separators=(",", ":")))
PY
ts-pub -w 20 candles/coinbase/SOL-USD/1m big.json &
PIDS="$PIDS $!"
cmd new chart coinbase SOL-USD 1m
while ! { dump s3.json; jq -e '.views[-1].first_paint_ms != null' s3.json >/dev/null; }; do :; done
big_id=$(jq '.views[-1].id' s3.json)
cmd zoom "$big_id" 0.003
sleep 0.5
cmd reset-stats
ts-pub -w 10 -r 100 candles/coinbase/SOL-USD/1m live.json
dump s4.json
cmd screenshot "$TMP/big.png"
sleep 1

{
	echo "# ts-gui under load: $(date -u +%Y-%m-%d), $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), Xvfb + GSK_RENDERER=cairo"
	echo "# factory layout + 2 charts (4 charts x 1000 candles, book, DOM, tape), ${SECS}s at 5000 book deltas/s + 1000 trades/s"
	jq -r --arg cpu "$cpu_pct" --arg msgs "$msgs" --arg secs "$SECS" '
	    "messages received:   \($msgs) (\(($msgs | tonumber) / ($secs | tonumber) | floor)/s)",
	    "frames that drew:    \(.frames.n) (\(.frames.n / ($secs | tonumber) * 10 | floor / 10)/s)",
	    "frame time p50:      \(.frames.p50_ms) ms",
	    "frame time p99:      \(.frames.p99_ms) ms",
	    "frame time max:      \(.frames.max_ms) ms",
	    "longest bus drain:   \(.drain_max_ms) ms",
	    "ts-gui CPU:          \($cpu) % of one core"' s1.json
	jq -r '.views[-1] | "new chart, 1000 candles: open to first paint \(.first_paint_ms) ms (includes the producer answering the subscription); data arrival to paint \(.data_to_paint_ms) ms; candles \(.candles)"' s2.json
	jq -r '.views[-1] | "new chart, 100000 candles: open to first paint \(.first_paint_ms) ms (ts-pub reading and sending 13 MB, parse, EMAs, draw); data to paint \(.data_to_paint_ms) ms; candles \(.candles)"' s3.json
	jq -r '"100000 candles zoomed out (\(.views[-1].visible[1] - .views[-1].visible[0] + 1) visible), last candle moving at 100/s: \(.frames.n) frames, p50 \(.frames.p50_ms) ms, p99 \(.frames.p99_ms) ms, max \(.frames.max_ms) ms; longest chart draw \(.views[-1].draw_ms_max) ms"' s4.json
} | tee "$top/bench/gui/results.txt"
