#!/bin/sh
# t0801: ts-scan on the demo bus: started on demand by the supervisor for a
# scan/ subscriber, a message at each close, the metrics equal to a naive
# recomputation from the same candles; run and explain over the bus
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"

have_all() { for p in ts-sim ts-feed ts-candle ts-scan; do [ -x "$TS_BIN/$p" ] || return 1; done; }
if ! have_all; then
	echo "ok 1 # skip: ts-sim, ts-feed, ts-candle or ts-scan is not built"
	test_done; exit 0
fi
tools=$TS_TOP/tests/tools
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[supervisor]\nlinger = 1s\nstatus-interval = 500ms\n' >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"

test_expect_success 'a scan subscriber starts ts-scan, which starts ts-candle' '
	start_supervisor --demo --demo-port 0 &&
	wait_for "[ \"\$(st sim state)\" = up ]" 20 &&
	bg S ts-cat -T scan/binance/ETH-USDT/1s &&
	wait_for "[ -s \"$TMP/S.out\" ]" 60 &&
	wait_for "[ \"\$(st scan state)\" = up ] && [ \"\$(st candle state)\" = up ]" &&
	grep -q "starting .scan" "$TMP/sup.err"
'

# the same candles as ts-scan, from a subscriber of its own (its history
# batch begins later than ts-scan'"'"'s, which only Wilder'"'"'s decaying start
# could tell: below 1e-15 after 400 candles)
test_expect_success 'one message a close, in order, with the fields of ts-scan(1)' '
	bg CE ts-cat -T candles/binance/ETH-USDT/1s &&
	bg CB ts-cat -T candles/binance/BTC-USDT/1s &&
	wait_for "[ \$(grep -c closed.:true \"$TMP/CE.out\") -ge 8 ]" 30 &&
	sleep 1 && kill $S_pid $CE_pid $CB_pid && wait $S_pid $CE_pid $CB_pid 2>/dev/null;
	cut -f2 "$TMP/S.out" >scan.json &&
	jq -e -s "length >= 8" scan.json >/dev/null &&
	jq -s -e "[range(1; length) as \$i | .[\$i].t - .[\$i - 1].t == 1000000 and .[\$i].seq == .[\$i - 1].seq + 1] | all" scan.json >/dev/null &&
	jq -e -s "map(.ex == \"binance\" and .sym == \"ETH-USDT\" and .tf == \"1s\" and (.metrics | has(\"RSI\") and has(\"BTC_rel_zscore\") and has(\"ADX14\")) and (.delta | has(\"delta_RSI\")) and (.scans | type == \"array\")) | all" scan.json >/dev/null
'

test_expect_success 'every metric of the messages after the history equals the naive one' '
	cut -f2 "$TMP/CE.out" "$TMP/CB.out" >candles.json &&
	python3 "$tools/scan_ref.py" --last 6 binance/ETH-USDT 1s candles.json >ref &&
	python3 "$tools/scan_cmp.py" ref scan.json &&
	jq -e -s "map(select(.BTC_rel_zscore != null)) | length >= 3" ref >/dev/null
'

test_expect_success 'run --json over the bus: the history'"'"'s last candle, ranked' '
	ts-scan run --json -w 30 -t 1m binance/ETH-USDT binance/BTC-USDT coinbase/ETH-USD >run.json &&
	jq -e ".markets | length == 3" run.json >/dev/null &&
	jq -e "[.markets[] | (.scans | length)] | . == (sort | reverse)" run.json >/dev/null &&
	ts-cat -n 1 -w 30 candles/binance/ETH-USDT/1m >hist.json &&
	ts-cat -n 1 -w 30 candles/binance/BTC-USDT/1m >>hist.json &&
	t=$(jq -r ".markets[] | select(.sym == \"ETH-USDT\") | .t" run.json) &&
	h=$(jq -s "[.[0].candles[] | select(.closed)] | last | .t" hist.json) &&
	if [ "$t" != "$h" ]; then echo "# a minute turned between the two: skipped"; return 0; fi &&
	python3 "$tools/scan_ref.py" --last 1 binance/ETH-USDT 1m hist.json >ref1 &&
	jq -c ".markets[] | select(.sym == \"ETH-USDT\")" run.json >got1 &&
	python3 "$tools/scan_cmp.py" ref1 got1
'

test_expect_success 'explain over the bus: the last 100 closed candles of the history' '
	ts-scan explain -w 30 --lookback 100 binance/ETH-USDT 1m >ex.json &&
	ts-cat -n 1 -w 30 candles/binance/ETH-USDT/1m >h.json &&
	t=$(jq ".visible_window_summary.to" ex.json) &&
	h=$(jq "[.candles[] | select(.closed)] | last | .t" h.json) &&
	if [ "$t" != "$h" ]; then echo "# a minute turned between the two: skipped"; return 0; fi &&
	jq -e --slurpfile h h.json "([\$h[0].candles[] | select(.closed)] | .[-100:]) as \$c |
		.visible_window_summary.bars == 100 and .visible_window_summary.close == \$c[-1].c and
		.visible_window_summary.high == (\$c | map(.h) | max) and
		.visible_window_summary.from == \$c[0].t and (.explanation | test(\"binance/ETH-USDT on 1m\"))" ex.json >/dev/null
'

test_expect_success 'the last scan subscriber gone, ts-scan is stopped' '
	wait_for "[ \"\$(st scan state)\" = down ]" 30
'
test_done
