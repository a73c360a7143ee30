#!/bin/sh
# t0704-gui-sim: the whole chain: ts-supervisor --demo starts ts-sim, and the
# GUI's subscriptions start ts-feed and ts-candle; the factory layout fills
# with history, candles, a book and trades; a sequence gap injected in the
# simulator makes the feed reset the book, which the GUI shows and recovers.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/gui-lib.inc"

for p in ts-sim ts-feed ts-candle; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip $p not built"; exit 0; }
done
PORT=$(free_port)
start_supervisor --demo --demo-port "$PORT" || exit 111

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
