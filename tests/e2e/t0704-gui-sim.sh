#!/bin/sh
# t0704-gui-sim: the whole chain: ts-supervisor --demo starts ts-sim, and the
# GUI's subscriptions start ts-feed and ts-candle; the factory layout fills
# with history, candles, a book and trades; a sequence gap injected in the
# simulator makes the feed reset the book, which the GUI shows and recovers.
. "$(dirname "$0")/lib.sh"
# under SANITIZE=1: library caches that live until exit are not our leaks
LSAN_OPTIONS="suppressions=$TS_TOP/tests/e2e/t0700-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

for p in ts-sim ts-feed ts-candle; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip $p not built"; exit 0; }
done
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>xvfb.display >/dev/null 2>xvfb.err &
T_PIDS="$T_PIDS $!"
wait_for '[ -s xvfb.display ]' 10 || exit 111
DISPLAY=":$(cat xvfb.display)" GTK_A11Y=none GSK_RENDERER=cairo
export DISPLAY GTK_A11Y GSK_RENDERER
PORT=$(free_port)
start_supervisor --demo --demo-port "$PORT" || exit 111
mkfifo ctl
cmd() { timeout 5 sh -c "echo '$*' >ctl"; }
dump() { rm -f "$1"; cmd dump "$TMP/$1.tmp" && wait_for "[ -s '$TMP/$1.tmp' ]" 5 && mv "$1.tmp" "$1"; }

test_expect_success 'the factory layout fills from ts-sim through ts-feed and ts-candle' '
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e \"[.views[].state] | all(. == \\\"live\\\")\" s.json" 60 &&
	jq -e ".views[0].candles > 10 and .views[0].history_batches >= 1" s.json &&
	jq -e ".views[1].candles > 10" s.json &&
	jq -e ".views[2] | .bid_levels > 10 and .ask_levels > 10 and .best_bid < .best_ask" s.json &&
	jq -e ".views[3].trades > 0" s.json &&
	jq -e ".status | has(\"status/feed/coinbase\")" s.json
'

test_expect_success 'a sequence gap resets the book; the GUI marks it and recovers' '
	r0=$(jq ".views[2].resets" s.json) &&
	curl -fsS "http://127.0.0.1:$PORT/_sim/fault?spec=skip" >/dev/null &&
	wait_for "dump s.json && jq -e \".views[2].resets > $r0 and .views[2].state == \\\"live\\\"\" s.json" 30 &&
	jq -e ".views[4].state == \"live\"" s.json
'

test_expect_success 'a screenshot of the live market' '
	cmd screenshot "$TMP/live.png" && wait_for "[ -s live.png ]" 5 &&
	cmd quit && wait $gui_pid
'

test_done
