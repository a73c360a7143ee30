#!/bin/sh
# t0102-feed-trades: no trade lost or duplicated across dropped connections
# (Binance backfills by id over REST; Coinbase's reconnect snapshot and
# de-duplication cover a short outage), checked against ts-sim's ground truth
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

start_sim --seed 5 --rate 400 --truth truth.jsonl coinbase binance
bg fb ts-feed --stdout --url $WS --rest $REST binance BTC-USDT ETH-USDT
bg fc ts-feed --stdout --url $WS --rest $REST coinbase BTC-USD ETH-USD

settle_trades() {
	sim_get /_sim/pause >/dev/null &&
	wait_for "last_trade_is fb.out binance BTC-USDT && last_trade_is fb.out binance ETH-USDT" 20 &&
	wait_for "last_trade_is fc.out coinbase BTC-USD && last_trade_is fc.out coinbase ETH-USD" 20 &&
	trades_ok fb.out binance BTC-USDT truth.jsonl &&
	trades_ok fb.out binance ETH-USDT truth.jsonl &&
	trades_ok fc.out coinbase BTC-USD truth.jsonl &&
	trades_ok fc.out coinbase ETH-USD truth.jsonl
	t_rc=$?
	sim_get /_sim/resume >/dev/null
	return $t_rc
}

test_expect_success 'trades flow and match the truth' '
	wait_for "grep -q ^trades/binance/ETH-USDT fb.out && grep -q ^trades/coinbase/ETH-USD fc.out" 20 &&
	sleep 1 && settle_trades
'

test_expect_success 'a dropped connection loses and repeats nothing' '
	sim_get "/_sim/fault?spec=drop" && sleep 1 && settle_trades
'

test_expect_success 'a longer outage (refused reconnects) loses and repeats nothing' '
	sim_get "/_sim/fault?spec=refuse=1" && sim_get "/_sim/fault?spec=drop" &&
	sleep 2.5 && settle_trades
'

last_status() { grep "^status/feed/$1" "$2" | tail -1 | cut -f2-; }

test_expect_success 'binance filled the holes over REST and counted no gap' '
	last_status binance fb.out | jq -e "[.symbols[].backfilled] | add > 0" &&
	last_status binance fb.out | jq -e "[.symbols[].missed] | add == 0" &&
	last_status coinbase fc.out | jq -e "[.symbols[].missed] | add == 0"
'

test_expect_success 'a REST failure during backfill is reported as a gap, not hidden' '
	sim_get "/_sim/fault?spec=rest-500=40" && sim_get "/_sim/fault?spec=drop" &&
	wait_for "grep ^status/feed/binance fb.out | grep -q trade_gap" 40 &&
	grep "^status/feed/binance" fb.out | grep trade_gap | tail -1 | cut -f2- |
	    jq -e ".detail | test(\"trades missing after id\")"
'

test_done
