#!/bin/sh
# t0702-gui-layout: a layout saved and reopened comes back the same (panels,
# places, markets, timeframes, settings), and a market switch subscribes to
# the new topic, so its producer sends the history again.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/gui-lib.inc"

start_supervisor -c noservices.ini -v || exit 111
# what must survive a restart: everything but ids and data
shape() {
	jq -c '.views | sort_by(.column, .row, .tab) | .[] | {kind, ex, sym, tf, column, row, tab} +
	    (if .kind == "chart" then {ema, vwap, bar_width} else {} end) +
	    (if .kind == "book" then {mode, tick, range_pct} else {} end) +
	    (if .kind == "dom" then {tick, auto_center} else {} end) +
	    (if .kind == "tape" then {large} else {} end)' "$1"
}
LAYOUT=config/tradesuite/layout.ini

test_expect_success 'panels added to the factory layout, a timeframe switched, layout saved' '
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e .connected s.json" 15 &&
	cmd new chart binance ETH-USDT 15m &&
	cmd new alerts coinbase BTC-USD &&
	cmd new book binance BTC-USDT &&
	cmd market 2 coinbase BTC-USD 4h &&
	wait_for "dump s.json && jq -e \".views | length == 8\" s.json" 10 &&
	cmd save && wait_for "grep -qx panels=8 $LAYOUT" 5 &&
	dump before.json && shape before.json >expect &&
	grep -q "\"sym\":\"ETH-USDT\"" expect && grep -q "\"tf\":\"4h\"" expect &&
	cmd quit && wait $gui_pid && cp $LAYOUT saved.ini
'

test_expect_success 'reopened, the layout is the same' '
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump after.json && jq -e \".connected and (.views | length == 8)\" after.json" 15 &&
	shape after.json >actual &&
	test_cmp expect actual
'

test_expect_success 'saved again unchanged, the file is the same' '
	cmd save && sleep 0.5 && test_cmp saved.ini $LAYOUT
'

test_expect_success 'a market switch subscribes anew and the new history arrives' '
	python3 "$GEN" history coinbase ETH-USD 1h 50 3000 >eth.json &&
	{ ts-pub -w 10 candles/coinbase/ETH-USD/1h eth.json >pub.out 2>&1 & pid=$!; } &&
	T_PIDS="$T_PIDS $pid" &&
	cmd market 1 coinbase ETH-USD 1h &&
	wait $pid &&
	wait_for "dump s.json && jq -e \".views[0].candles == 50\" s.json" 10 &&
	jq -e ".views[0] | .sym == \"ETH-USD\" and .tf == \"1h\" and .history_batches == 1 and .last.c == 3880" s.json
'

test_expect_success 'switching back asks for the old market history again' '
	python3 "$GEN" history coinbase BTC-USD 1h 30 >btc.json &&
	{ ts-pub -w 10 candles/coinbase/BTC-USD/1h btc.json >pub2.out 2>&1 & pid=$!; } &&
	T_PIDS="$T_PIDS $pid" &&
	cmd market 1 coinbase BTC-USD 1h &&
	wait $pid &&
	wait_for "dump s.json && jq -e \".views[0].candles == 30\" s.json" 10 &&
	jq -e ".views[0] | .sym == \"BTC-USD\" and .history_batches == 1" s.json &&
	grep -E "(un)?subscribe .candles/coinbase/BTC-USD/1h" sup.err | cut -d" " -f2 >actual &&
	printf "subscribe\nunsubscribe\nsubscribe\nunsubscribe\nsubscribe\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'reset restores the factory layout' '
	cmd reset &&
	wait_for "dump s.json && jq -e \".views | length == 5\" s.json" 10 &&
	jq -r "[.views[] | .kind + \":\" + .tf] | join(\" \")" s.json >actual &&
	echo "chart:1h chart:5m book: tape: dom:" >expect &&
	test_cmp expect actual
'

test_expect_success 'a broken layout.ini falls back to the factory layout' '
	cmd quit && wait $gui_pid &&
	printf "[layout]\npanels=2\n[panel0]\nkind=nonsense\n[panel1]\nkind=chart\nexchange=BAD EX\n" >$LAYOUT &&
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e \".views | length == 5\" s.json" 15 &&
	grep -q "not a usable panel" gui.err
'

test_done
