#!/bin/sh
# t0703-gui-stale: a book reset marks the book and DOM as resyncing until the
# next snapshot; a feed status that is not live marks its views stale; with
# no supervisor the window says so and recovers when one starts.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/gui-lib.inc"

states() { jq -r '[.views[] | .kind + "=" + .state] | join(" ")' s.json; }

test_expect_success 'with no supervisor the window says so and keeps running' '
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e \".banner == true\" s.json" 15 &&
	jq -e ".connected == false" s.json &&
	kill -0 $gui_pid
'

test_expect_success 'a supervisor started later is found without a restart' '
	start_supervisor -c noservices.ini &&
	wait_for "dump s.json && jq -e \".connected and .banner == false\" s.json" 15
'

test_expect_success 'a book snapshot makes the book and DOM live' '
	python3 "$GEN" book coinbase BTC-USD 65000 >book.json &&
	ts-pub -w 10 book/coinbase/BTC-USD book.json &&
	wait_for "dump s.json && jq -e \".views[2].state == \\\"live\\\"\" s.json" 10 &&
	states | grep -q "book=live" && states | grep -q "dom=live"
'

test_expect_success 'a reset shows the book and DOM as resyncing' '
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"type\":\"reset\",\"reason\":\"sequence gap\"}" >reset.json &&
	ts-pub -w 10 book/coinbase/BTC-USD reset.json &&
	wait_for "dump s.json && jq -e \".views[2].state == \\\"resync\\\"\" s.json" 10 &&
	states | grep -q "dom=resync" &&
	jq -e ".views[2] | .resets == 1 and .bid_levels == 0" s.json &&
	cmd screenshot "$TMP/resync.png" && wait_for "[ -s resync.png ]" 5
'

test_expect_success 'the next snapshot recovers them' '
	ts-pub -w 10 book/coinbase/BTC-USD book.json &&
	wait_for "dump s.json && jq -e \".views[2].state == \\\"live\\\"\" s.json" 10 &&
	states | grep -q "dom=live" &&
	jq -e ".views[2] | .snapshots == 2 and .bid_levels == 60" s.json
'

test_expect_success 'a malformed book message is counted, skipped and the book resyncs' '
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"type\":\"delta\",\"bids\":[[\"x\",1]]}" >bad.json &&
	ts-pub -w 10 book/coinbase/BTC-USD bad.json &&
	wait_for "dump s.json && jq -e \".bad >= 1\" s.json" 10 &&
	kill -0 $gui_pid && grep -q "malformed message skipped" gui.err
'

test_expect_success 'a feed that is not live marks its views stale, and live again' '
	python3 "$GEN" trades coinbase BTC-USD 5 65000 >trades.json &&
	ts-pub -w 10 trades/coinbase/BTC-USD trades.json &&
	ts-pub -w 10 book/coinbase/BTC-USD book.json &&
	echo "{\"ex\":\"coinbase\",\"state\":\"reconnecting\"}" | ts-pub -w 10 status/feed/coinbase &&
	wait_for "dump s.json && jq -e \".views[3].state == \\\"stale\\\"\" s.json" 10 &&
	states | grep -q "book=stale" &&
	echo "{\"ex\":\"coinbase\",\"state\":\"connected\"}" | ts-pub -w 10 status/feed/coinbase &&
	wait_for "dump s.json && jq -e \".views[3].state == \\\"live\\\"\" s.json" 10 &&
	states | grep -q "book=live"
'

test_expect_success 'the supervisor going away shows the banner again' '
	stop $sup_pid;
	wait_for "dump s.json && jq -e \".banner == true and .connected == false\" s.json" 15
'

test_expect_success 'ts-gui usage errors exit 100' '
	{ ts-gui --after x 2>err; test $? = 100; } && grep -q "bad --after" err &&
	{ ts-gui --bogus 2>err; test $? = 100; } &&
	{ ts-gui extra 2>err; test $? = 100; } &&
	ts-gui --help | grep -q "^usage: ts-gui"
'

test_done
